"""What the team reads in chat: who, how unhappy, in their words, who owns it, what is late.

Plain text, also the body of the rep's HubSpot note: the respondent's name and company on
one line, their comment a quoted block. The chat adapter escapes it for Slack or Teams.
"""
from connector.domain.text import one_line, quoted
from connector.ports.snapshots import CaseSnapshot, PromiseSnapshot, StageSnapshot


def _who(case: CaseSnapshot) -> str:
    answer = case.answer
    name, company = one_line(answer.customer_name) or "A customer", one_line(answer.company)
    return f"{name} ({company})" if company else name


def _body(case: CaseSnapshot) -> list[str]:
    answer = case.answer
    lines = [f"Score: {answer.survey_type.upper()} {answer.score} · severity {case.severity} · "
             f"value {case.value_tier} · priority {case.priority}"]
    if answer.comment:
        lines += ["In their words:", *quoted(answer.comment, 500)]
    if case.history:
        lines.append("History: " + "; ".join(case.history[:3]))
    lines.append(f"Owner: {case.owner or 'unassigned'}")
    if case.zendesk_ticket_url:
        lines.append(f"Ticket: {case.zendesk_ticket_url}")
    return lines


def new_case(case: CaseSnapshot) -> str:
    return "\n".join([f":rotating_light: New recovery case #{case.case_id}: {_who(case)}", *_body(case)])


def overdue(case: CaseSnapshot, stage: StageSnapshot) -> str:
    late = f"{stage.label} was due {stage.due_at:%Y-%m-%d %H:%M} UTC"
    return "\n".join([f":alarm_clock: Recovery case #{case.case_id} is late: {late}", f"Customer: {_who(case)}",
                      *_body(case)])


def promise_overdue(case: CaseSnapshot, promise: PromiseSnapshot) -> str:
    late = f"the promise “{promise.what[:300]}” ({promise.who}) was due {promise.due_at:%Y-%m-%d %H:%M} UTC"
    return "\n".join([f":alarm_clock: Recovery case #{case.case_id} is late: {late}", f"Customer: {_who(case)}",
                      *_body(case)])
