"""A new case's plan (``case.plan``): its profile, suggested cause, REACT stages and first jobs.

Intake commits what the 202 needs and nothing more: the answer and the case with its severity,
value, owner and holdout draw, in the webhook's transaction (issue 16: the rest was a tenth of
the web's CPU an answer); the worker queues this job when it feeds the answer (``cases.feeding``).
The worker then plans the case, ten at a time:
each slice's drafts worked out from a read (no write lock), then written, with their jobs
completed, in one short transaction, so a plan is written once or not at all:

- the profile from the comment and the customer's earlier answers (the Zendesk ticket history
  refines it later, ``zendesk_sync``), and a churn risk raising the priority one level;
- the cause the comment suggests (``domain.causes``), and its ``systemic.check``;
- the stages ``domain.react`` plans from ``submitted_at`` (on the tenant's business hours when
  the admin asked; a held-out case holds only its two), so their due dates do not depend on
  when the plan ran;
- the jobs every new case needs: its alerts and the two syncs (or the HubSpot value look-up first).

Until then the case has no profile, cause or stages (``Case.planned`` is False). A reader never
sees it so: the admin API and the screens plan the waiting cases first (``plan_waiting``: one
probe of a partial index, and only in the milliseconds after a 202, or while no worker runs). A
case is planned once (``Case.planned_at``): by its job or a reader, whichever comes first.
"""
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from connector.cases.business_hours import calls_on_business_hours
from connector.cases.context import CaseContext
from connector.cases.shared import SETTLE_SLICE, locked_cases
from connector.cases.transitions import SYNC_JOBS, open_alerts
from connector.domain import causes, profile, react, rules
from connector.domain import holdout as holdouts
from connector.domain.business_hours import Schedule
from connector.domain.policies import Policies
from connector.infra.slices import in_slices
from connector.jobs.queue import ClaimedJob, complete, enqueue_many
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, Stage
from connector.store.prepared import PreparedInsert
from connector.store.schedules import cached_schedule
from connector.store.snapshots import earlier_scores

log = logging.getLogger(__name__)
KIND = "case.plan"
# The stages of a slice's cases in one multi-row INSERT (through the ORM: one INSERT each).
_INSERT_STAGES = PreparedInsert(cast(Table, Stage.__table__), ("case_id", "key", "due_at", "status"))


def first_jobs(case: Case, policy: Policies) -> tuple[str, ...]:
    """What a planned case queues: its systemic check (with a cause: under a backlog the case is
    in its issue before its ticket is made, tagged at creation), its alerts, then the syncs."""
    check = ("systemic.check",) if case.cause_suggested is not None else ()
    if case.lifetime_value is None and policy.rules.get("lifetime_value_from_hubspot"):
        # Look the value up first: priority and owner must be right from the first call.
        return check + open_alerts(case) + ("hubspot.lifetime_value",)
    return check + open_alerts(case) + SYNC_JOBS


@dataclass(frozen=True)
class Draft:
    """What the comment, the customer's earlier answers and the protocol make of a new case:
    worked out before the write transaction, so SQLite's one write lock is held for the writes only."""

    found: profile.ProfileResult
    suggested: causes.Suggestion | None
    stages: tuple[tuple[str, datetime], ...]  # (stage key, due at)


def draft(session: Session, case: Case, opening: Answer, policy: Policies, schedule: Schedule | None) -> Draft:
    found = profile.classify_profile(opening.comment, opening.locale, recent_ticket_count=None,
                                     earlier_scores=earlier_scores(session, opening), rules=policy.profile)
    planned = react.plan(policy.protocol, opening.submitted_at, schedule)
    if case.holdout:  # every consumer of the stages (tasks, note, deadlines, sidebar) follows
        planned = [(stage, due) for stage, due in planned if stage.key in holdouts.HOLDOUT_STAGE_KEYS]
    return Draft(found, causes.suggest(opening.comment, policy.causes),
                 tuple((stage.key, due) for stage, due in planned))


def apply(case: Case, plan: Draft, policy: Policies, now: datetime) -> list[dict[str, Any]]:
    """Set the case's profile, cause and priority; return its stage rows (the caller inserts them)."""
    found, suggested = plan.found, plan.suggested
    case.planned_at = now
    case.profile, case.profile_signals, case.churn_risk = found.profile, list(found.signals), found.churn_risk
    case.cause_suggested = suggested.key if suggested else None
    case.cause_words = list(suggested.words) if suggested else None
    if found.churn_risk:  # intake priced the case without it: one level up
        case.priority = rules.priority(case.severity, case.value_tier, policy.rules, churn_risk=True)
    return [dict(case_id=case.id, key=key, due_at=due, status="pending") for key, due in plan.stages]


def plan_cases(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """Grouped: a campaign's new cases planned ten per transaction (``SETTLE_SLICE``: SQLite's one
    write lock is what every webhook waits for), each slice's jobs completed in it."""
    of_case: dict[int, list[ClaimedJob]] = {}
    for job in jobs:
        of_case.setdefault(job.ref_id, []).append(job)

    def settle(session: Session, part: list[int]) -> None:
        for case_id in part:
            for job in of_case[case_id]:
                complete(session, job, rt.clock())
    _plan_in_slices(rt, sorted(of_case), settle)
    return {}


def plan_waiting(rt: CaseContext, at_most: int = 500) -> int:
    """Plan the cases whose ``case.plan`` has yet to run, oldest first (their queued jobs then find
    them planned); how many were. Each tenant's with its own policies and business hours."""
    with reading(rt.sessions) as session:  # a reader's probe takes no write lock
        waiting = session.execute(select(Case.id, Case.tenant_id).where(Case.planned_at.is_(None))
                                  .order_by(Case.id).limit(at_most)).all()
    of_tenant: dict[str, list[int]] = {}
    for case_id, tenant_id in waiting:
        of_tenant.setdefault(tenant_id, []).append(case_id)
    for tenant_id, case_ids in of_tenant.items():
        _plan_in_slices(rt.for_tenant(tenant_id), case_ids)
    return len(waiting)


def _plan_in_slices(rt: CaseContext, case_ids: list[int],
                    settle: Callable[[Session, list[int]], None] | None = None) -> None:
    """The cases of one tenant (``rt``'s), ``SETTLE_SLICE`` at a time: each slice drafted from a
    read, then written (and ``settle`` d: its jobs completed) in one short transaction."""
    on_business_hours = calls_on_business_hours(rt, rt.tenant_id)
    for part in in_slices(case_ids, SETTLE_SLICE):
        drafts = _drafts(rt, part, on_business_hours)
        with transaction(rt.sessions) as session:
            _write(rt, session, drafts)
            if settle is not None:
                settle(session, part)


def _drafts(rt: CaseContext, case_ids: list[int], on_business_hours: bool) -> dict[int, Draft]:
    """The drafts of the slice's cases not planned yet, read without a write lock."""
    with reading(rt.sessions) as session:
        cases = [case for case in session.scalars(select(Case).where(Case.id.in_(case_ids))) if not case.planned]
        openings: Mapping[int | None, Answer] = {answer.id: answer for answer in session.scalars(
            select(Answer).where(Answer.id.in_([case.opening_answer_id for case in cases])))}
        schedule = cached_schedule(session, rt.tenant_id) if on_business_hours else None
        return {case.id: draft(session, case, openings[case.opening_answer_id], rt.policies, schedule)
                for case in cases}


def _write(rt: CaseContext, session: Session, drafts: Mapping[int, Draft]) -> None:
    """Each case not planned meanwhile (by a reader, or another worker) gets its draft, stages and jobs."""
    if not drafts:
        return
    cases = [case for case in locked_cases(session, sorted(drafts)).values() if not case.planned]
    stages, queued = [], []
    for case in cases:
        stages += apply(case, drafts[case.id], rt.policies, rt.clock())
        queued += [(kind, case.id, f"{kind}:{case.id}") for kind in first_jobs(case, rt.policies)]
    session.flush()  # the cases' new values before the prepared statements' rows
    _INSERT_STAGES.execute_many(session, stages)
    enqueue_many(session, queued, tenant_id=rt.tenant_id)
    log.info("cases planned count=%s", len(cases))
