"""Joining a systemic issue (``domain.systemic``): the decision for one case, made under its lock.

Run by the ``systemic.check`` job (``cases.systemic``) and, for a group's cases whose check has
not run yet, by the Zendesk sync just before it makes their tickets (``zendesk_sync``): a ticket
made knowing its case's issue carries the tag and note from creation, where one made first needs
a bulk update and a job poll later. Deciding twice is harmless: a case in an issue stays there.

The issue row is unique per (tenant, cause, window start): two workers deciding at once insert
one row, the other's insert fails and raises ``RetryableError`` (its job retries and joins).
"""
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import SETTLE_SLICE, locked_cases
from connector.cases.systemic_updates import UPDATE_KIND, queue_updates
from connector.domain import systemic
from connector.infra.slices import in_slices
from connector.jobs.queue import enqueue
from connector.ports.errors import RetryableError
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, Job, SystemicIssue

log = logging.getLogger("connector.cases.systemic")  # the issue's story reads in one logger
CHECK, PROBLEM, CHAT = "systemic.check", UPDATE_KIND, "chat.systemic"


@dataclass
class _Slice:
    """What the joins of one write transaction share, so a slice of ten cases costs a few
    statements more than one case, not ten times as many (every webhook waits for SQLite's
    write lock meanwhile): each case's answer time read in one query, each cause's open issue
    looked up once, and one ``queue_update`` per issue for all its joins."""

    submitted: dict[int, Any]
    open_issues: dict[str, SystemicIssue | None] = field(default_factory=dict)
    asks: dict[tuple[int, str, bool], list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, cases: Iterable[Case]) -> "_Slice":
        ids = [case.id for case in cases]
        return cls(dict(session.execute(select(Case.id, Answer.submitted_at).join(
            Answer, Answer.id == Case.opening_answer_id).where(Case.id.in_(ids))).all()) if ids else {})

    def open_issue(self, session: Session, tenant_id: str, key: str) -> SystemicIssue | None:
        if key not in self.open_issues:
            self.open_issues[key] = session.scalars(select(SystemicIssue).where(
                SystemicIssue.tenant_id == tenant_id, SystemicIssue.cause == key, SystemicIssue.solved_at.is_(None))
                .order_by(SystemicIssue.window_start.desc()).limit(1)).first()
        return self.open_issues[key]

    def ask(self, rt: CaseContext, session: Session) -> None:
        queue_updates(rt, session, self.asks)
        self.asks.clear()


def join_issue(rt: CaseContext, session: Session, case: Case, shared: _Slice) -> None:
    """The case's decision, under its lock; its update ask is left in ``shared`` (``_Slice.ask``)."""
    rule = rt.policies.causes.systemic
    key = case.effective_cause
    if key is None or case.systemic_issue_id is not None:  # no cause, or already in an issue
        return
    at = shared.submitted[case.id]
    issue = shared.open_issue(session, case.tenant_id, key)
    open_issue = systemic.OpenIssue(issue.id, issue.window_start) if issue else None
    # Most cases of a busy cause join its open issue: the others of the cause need listing only
    # when none covers this one (the scan of the tenant's cases under the write lock is skipped).
    decision = systemic.decide(at, open_issue, (), rule)
    if decision.join is None:
        with_cause = or_(Case.cause == key, and_(Case.cause.is_(None), Case.cause_suggested == key))
        unattached = session.execute(
            select(Case.id, Answer.submitted_at).join(Answer, Answer.id == Case.opening_answer_id)
            .where(Case.tenant_id == case.tenant_id, Case.systemic_issue_id.is_(None), with_cause,
                   Answer.submitted_at > at - timedelta(days=rule.window_days))).all()
        decision = systemic.decide(at, open_issue, [(r[0], r[1]) for r in unattached], rule)
    if decision.join is not None:
        case.systemic_issue_id = decision.join
        problem_open = issue is not None and issue.problem_ticket_id is not None
        shared.asks.setdefault((decision.join, case.tenant_id, problem_open), []).append(str(case.id))
        log.info("systemic issue joined issue_id=%s case_id=%s", decision.join, case.id)
    elif decision.open_with and decision.window_start is not None:
        opened = _open_issue(session, case.tenant_id, key, decision, rt.clock())
        shared.open_issues.pop(key, None)  # the next case of the cause finds the new issue
        enqueue(session, PROBLEM, opened, tenant_id=case.tenant_id, dedupe_key=f"{PROBLEM}:{opened}:open")
        enqueue(session, CHAT, opened, tenant_id=case.tenant_id)
        log.info("systemic issue opened issue_id=%s cause=%s cases=%s", opened, key, len(decision.open_with))


def _open_issue(session: Session, tenant_id: str, key: str, decision: systemic.Decision, now: Any) -> int:
    issue = SystemicIssue(tenant_id=tenant_id, cause=key, window_start=decision.window_start, opened_at=now)
    try:
        with session.begin_nested():
            session.add(issue)
            session.flush()
    except IntegrityError:  # another worker opened it meanwhile: this job retries and joins it
        raise RetryableError("systemic issue opened meanwhile by another worker") from None
    for member in session.scalars(select(Case).where(Case.id.in_(decision.open_with))):
        member.systemic_issue_id = issue.id
    return issue.id


def join_in_slices(rt: CaseContext, case_ids: list[int],
                   settle: Callable[[Session, int], None] | None = None) -> dict[int, RetryableError]:
    """Each case's join decided under its lock, a slice of cases per write transaction (every
    webhook waits for SQLite's write lock); ``settle(session, case id)`` after each decided one, in
    its transaction. Returns the cases that lost a race to open an issue (nothing of theirs written)."""
    lost: dict[int, RetryableError] = {}
    for part in in_slices(sorted(set(case_ids)), SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            cases = locked_cases(session, part)
            shared = _Slice.of(session, cases.values())
            for case in cases.values():
                try:
                    join_issue(rt, session, case, shared)
                except RetryableError as exc:
                    lost[case.id] = exc
                    continue
                if settle is not None:
                    settle(session, case.id)
            shared.ask(rt, session)  # one update ask per issue for the slice's joins
    return lost


def join_before_tickets(rt: CaseContext, case_ids: list[int]) -> None:
    """The cases whose ``systemic.check`` is still queued decide now, before their tickets are
    made; their check job finds them decided. A lost race to open an issue leaves the case to
    its check job (its ticket is then tagged by the issue's next update, as before)."""
    with reading(rt.sessions) as session:
        pending = list(session.scalars(select(Job.ref_id).where(
            Job.kind == CHECK, Job.status == "queued", Job.ref_id.in_(case_ids))))
    join_in_slices(rt, pending)
