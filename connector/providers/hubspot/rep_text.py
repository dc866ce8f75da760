"""What the rep reads: the heads-up when a case opens, the note when it closes (pure text).

The respondent's name and company are one line of visible text, the comment a quoted block
(``domain.text``), so nothing a customer typed can pass for a line the connector wrote.
"""
import html

from connector.domain.names import company_name, split_name
from connector.domain.text import one_line, quoted
from connector.ports.keys import rep_note_reference
from connector.ports.snapshots import CaseSnapshot


def who(case: CaseSnapshot) -> str:
    """"Marie Dubois (Acme)": the name in reading order, whatever order the survey gave it."""
    split = " ".join(part for part in split_name(case.answer.customer_name) if part)
    name, company = split or one_line(case.answer.customer_name) or "A customer", company_name(case.answer.company)
    return f"{name} ({company})" if company else name


def _recovery_owner(case: CaseSnapshot) -> str:
    name, email = one_line(case.owner_name), case.owner
    if name and email and name != email:
        return f"{name} <{email}>"
    return name or email or "the support team (no owner routed)"


def heads_up_lines(case: CaseSnapshot, fallback: bool) -> list[str]:
    """What the rep reads before anyone calls the customer (pure)."""
    answer, owner = case.answer, _recovery_owner(case)
    first_call = min((s.due_at for s in case.stages), default=None)
    lines = [f"{who(case)} answered {answer.survey_type.upper()} {answer.score} ({answer.category}) on "
             f"{answer.submitted_at:%Y-%m-%d %H:%M} UTC. A recovery case is open (priority {case.priority}).",
             "In their words:", *quoted(answer.comment or "(no comment)", 1000),
             f"Recovery owner: {owner}. Reach them before you contact this account.",
             "Meanwhile: no sales push, upsell or renewal pitch to this account until the recovery owner "
             "has called the customer" + (f" (first contact due {first_call:%Y-%m-%d %H:%M} UTC)." if first_call
                                          else ".")]
    if case.zendesk_ticket_url:
        lines.append(f"Zendesk ticket: {case.zendesk_ticket_url}")
    if fallback:
        lines.append("This contact has no HubSpot owner, so this heads-up went to the recovery owner. "
                     "Set the contact owner in HubSpot so the account's rep is told next time.")
    return lines


def closing_note_text(case: CaseSnapshot) -> str:
    """The rep's note when the case closes (pure)."""
    lines = [f"Recovery case #{case.case_id} on {who(case)} is closed: outcome {case.outcome or 'unknown'}.",
             f"Recovery owner: {_recovery_owner(case)}."]
    if case.outcome in ("promoter", "passive"):
        lines.append("The customer is back on side: the account is yours again.")
    else:
        lines.append("Still unhappy: a follow-up case is open; keep holding sales pushes until it closes.")
    if case.zendesk_ticket_url:
        lines.append(f"Zendesk ticket: {case.zendesk_ticket_url}")
    return "<br>".join(html.escape(line, quote=False) for line in [*lines, rep_note_reference(case.case_id)])
