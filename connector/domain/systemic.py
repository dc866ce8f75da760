"""Systemic issues: when several customers complain for the same reason, the team that owns the
reason must act ("trois clients, même raison").

Rule (``mappings/causes.json`` ``systemic``): ``min_cases`` cases whose cause is the same, opened
within ``window_days`` of each other, make one systemic issue. The issue's window starts at its
first case and lasts ``window_days``: a later case with that cause, opened inside the window, joins
it; one opened after it counts toward a new issue only with enough other cases not yet in one.

Everything written to Zendesk or the chat here is the connector's own words, the cause's label
(admin data) and ticket or case numbers: never a customer's comment, name or the words that
suggested the cause, so nothing a respondent typed reaches the problem ticket or the team's chat.
Pure: no I/O.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.domain.causes import Cause, SystemicRule

PROBLEM_EXTERNAL_ID = "recovery-systemic-{issue_id}"  # contract (SPEC "Root causes")
SYSTEMIC_TAG = "systemic_{cause}"                    # contract: on each recovery ticket


@dataclass(frozen=True)
class OpenIssue:
    issue_id: int
    window_start: datetime


@dataclass(frozen=True)
class Decision:
    join: int | None = None                   # the issue the case joins
    open_with: tuple[int, ...] = ()           # a new issue's cases (the case among them), oldest first
    window_start: datetime | None = None      # the new issue's window start (its natural key)


NOTHING = Decision()


def window_end(start: datetime, rule: SystemicRule) -> datetime:
    return start + timedelta(days=rule.window_days)


def decide(opened_at: datetime, issue: OpenIssue | None, unattached: Sequence[tuple[int, datetime]],
           rule: SystemicRule) -> Decision:
    """What one case with a cause does. ``issue``: the cause's newest unsolved issue, if any;
    ``unattached``: (case id, opened at) of the cause's cases in no issue, this case included."""
    if issue is not None and issue.window_start <= opened_at < window_end(issue.window_start, rule):
        return Decision(join=issue.issue_id)
    since = opened_at - timedelta(days=rule.window_days)
    recent = sorted((c for c in unattached if since < c[1] <= opened_at), key=lambda c: (c[1], c[0]))
    if len(recent) < rule.min_cases:
        return NOTHING
    return Decision(open_with=tuple(case_id for case_id, _ in recent), window_start=recent[0][1])


def problem_external_id(issue_id: int) -> str:
    return PROBLEM_EXTERNAL_ID.format(issue_id=issue_id)


def systemic_tag(cause_key: str) -> str:
    return SYSTEMIC_TAG.format(cause=cause_key)


def _ticket_lines(tickets: Mapping[int, int]) -> list[str]:
    """case id -> recovery ticket id, as lines."""
    return [f"- Recovery ticket #{ticket} (case {case})" for case, ticket in sorted(tickets.items())]


def problem_subject(cause: Cause, issue_id: int) -> str:
    return f"Systemic issue #{issue_id}: {cause.label('en')}"


def problem_body(cause: Cause, issue_id: int, tickets: Mapping[int, int], rule: SystemicRule,
                 window_start: datetime) -> str:
    return "\n".join([
        f"Systemic issue #{issue_id}: {len(tickets)} detractors gave the same cause, "
        f"\"{cause.label('en')}\" ({cause.key}), within {rule.window_days} days "
        f"(from {window_start:%Y-%m-%d %H:%M} UTC).",
        f"Owning team: {cause.team.name}.",
        "",
        "Recovery tickets (tagged " + systemic_tag(cause.key) + "; each keeps its own due date, so they are "
        "tasks linked by that tag and this list, not incidents of this problem):",
        *_ticket_lines(tickets),
        "",
        "Solve this ticket once the cause is fixed: each recovery ticket then gets a note and each case "
        "owner a task to tell the customer what changed.",
    ])


def joined_comment(tickets: Mapping[int, int]) -> str:
    return "\n".join(["More recovery tickets with the same cause:", *_ticket_lines(tickets)])


def member_note(cause: Cause, issue_id: int, problem_ticket_id: int) -> str:
    return (f"This customer's cause, \"{cause.label('en')}\", is a systemic issue (#{issue_id}): "
            f"see problem ticket #{problem_ticket_id}. Owning team: {cause.team.name}.")


def chat_alert(cause: Cause, issue_id: int, case_count: int, rule: SystemicRule, ticket_url: str | None) -> str:
    where = f" Problem ticket: {ticket_url}" if ticket_url else ""
    return (f"Systemic issue #{issue_id} for {cause.team.name}: {case_count} detractors within "
            f"{rule.window_days} days gave the same cause, \"{cause.label('en')}\".{where}")


def solved_note(cause: Cause, issue_id: int) -> str:
    return (f"Systemic issue #{issue_id} (\"{cause.label('en')}\") is solved: tell the customer what changed "
            f"(the owner has a HubSpot task with a draft in their language).")


def tell_customer_task(cause: Cause, locale: str | None, customer: str, owner: str,
                       messages: Mapping[str, str]) -> tuple[str, str]:
    """(subject, body) of the owner's task once the problem is solved: the "we fixed what you told
    us" draft in the customer's language (``resolved_message`` in ``mappings/causes.json``)."""
    language = (locale or "en")[:2].lower()
    template = messages.get(language) or messages["en"]
    draft = template.format(cause=cause.label(language).lower(), customer=customer, owner=owner)
    # Not "Recovery · …": that prefix names the eight stage tasks.
    subject = f"Tell {customer} what changed ({cause.label('en')})"
    return subject, f"The systemic issue behind this customer's complaint is fixed. Draft to send:\n\n{draft}"
