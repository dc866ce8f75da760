"""What the account's people read of weak signals and the weekly digest: plain text, the body of
the HubSpot task too. Names are one line, a comment a quoted block (``domain.text``); the chat
adapter escapes the rest for Slack or Teams, the HubSpot adapter as HTML."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.domain.text import one_line, quoted


@dataclass(frozen=True)
class SignalView:
    signal: str                  # domain.signals.TICKETS or SCORE_DROP
    customer_name: str | None
    company: str | None
    value_tier: str
    owner: str | None
    survey_type: str | None = None
    previous: int | None = None
    score: int | None = None
    comment: str | None = None
    tickets: int | None = None
    window_days: int | None = None


def who(name: str | None, company: str | None) -> str:
    name, company = one_line(name) or "A customer", one_line(company)
    return f"{name} ({company})" if company else name


def signal_subject(view: SignalView) -> str:
    what = "tickets piling up" if view.signal == "tickets" else "score dropping"
    return f"Weak signal ({what}): {who(view.customer_name, view.company)}"


def signal_text(view: SignalView) -> str:
    if view.signal == "tickets":
        fact = f"{view.tickets} Zendesk tickets in the last {view.window_days} days"
    else:
        fact = (f"{(view.survey_type or '').upper()} {view.previous} → {view.score} "
                f"(down {(view.previous or 0) - (view.score or 0)} points, not yet a detractor)")
    lines = [f":warning: Weak signal on a {view.value_tier}-value account: {who(view.customer_name, view.company)}",
             fact]
    if view.comment:
        lines += ["In their words:", *quoted(view.comment, 500)]
    lines += [f"Owner: {view.owner or 'unassigned'}",
              "No detractor answer yet: reach out before the relationship cools further."]
    return "\n".join(lines)


@dataclass(frozen=True)
class DigestCase:
    case_id: int
    customer_name: str | None
    company: str | None
    score: int
    priority: str
    next_stage: str | None
    next_due: datetime | None
    overdue: int


@dataclass(frozen=True)
class DigestSignal:
    signal: str
    customer_name: str | None
    company: str | None
    raised_at: datetime


def digest_subject(owner: str, week: str) -> str:
    return f"Weekly digest {week}: your sensitive accounts ({one_line(owner)})"


# An owner with hundreds of open cases (a campaign) must still get a digest HubSpot and the chat
# accept (a task body holds 65,536 characters): the most urgent are listed, the rest counted.
LISTED = 50


def digest_text(owner: str, week: str, cases: Sequence[DigestCase], signals: Sequence[DigestSignal]) -> str:
    overdue = sum(c.overdue for c in cases)
    lines = [f":bar_chart: Weekly digest {week} for {one_line(owner)}: {len(cases)} open case(s), "
             f"{overdue} overdue stage(s), {len(signals)} new weak signal(s)"]
    urgent = sorted(cases, key=lambda c: (-c.overdue, c.next_due is None,
                                          c.next_due.timestamp() if c.next_due else 0.0, c.case_id))
    if len(cases) > LISTED:
        lines.append(f"The {LISTED} most urgent (most overdue stages, then the next due); "
                     f"{len(cases) - LISTED} more in the dashboard:")
    for case in urgent[:LISTED]:
        upcoming = (f"next {case.next_stage} due {case.next_due:%Y-%m-%d %H:%M} UTC"
                    if case.next_stage and case.next_due else "no stage ahead")
        late = f", {case.overdue} overdue" if case.overdue else ""
        lines.append(f"- Case #{case.case_id} {who(case.customer_name, case.company)}: score {case.score}, "
                     f"priority {case.priority}, {upcoming}{late}")
    if len(signals) > LISTED:
        lines.append(f"The {LISTED} latest weak signals; {len(signals) - LISTED} more in the dashboard:")
    for signal in sorted(signals, key=lambda s: s.raised_at, reverse=True)[:LISTED]:
        what = "tickets piling up" if signal.signal == "tickets" else "score dropping"
        lines.append(f"- Weak signal {signal.raised_at:%Y-%m-%d}: {who(signal.customer_name, signal.company)}, {what}")
    return "\n".join(lines)
