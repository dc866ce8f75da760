"""What every case handler shares: the case as the adapters see it, the batch size, the guard for
a vendor the install has not connected, settling served jobs in slices, and replay.

Handlers import this module and never each other.
"""
import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.kinds import CASE_KINDS
from connector.domain import policies, rules, systemic
from connector.infra.slices import in_slices
from connector.jobs.queue import ClaimedJob, complete, enqueue_many, replay
from connector.ports.errors import RetryableError
from connector.ports.snapshots import CaseSnapshot, SystemicMark
from connector.store.db import transaction
from connector.store.models import Answer, Case, Job, SystemicIssue
from connector.store.snapshots import case_snapshot

log = logging.getLogger(__name__)
# Jobs settled per transaction: on SQLite a transaction holds the one write lock, and a hundred
# cases settled at once kept every webhook waiting 100-200 ms; ten hold it ~20-50 ms.
SETTLE_SLICE = 10
T = TypeVar("T")


def row(session: Session, model: type[T], key: int | None, *, lock: bool = False) -> T:
    """A row the job or request names: it exists (rows are never deleted), so a miss is a bug."""
    found = None if key is None else session.get(model, key, with_for_update=lock)
    if found is None:
        raise LookupError(f"no {model.__name__} {key}")
    return found


def locked_cases(session: Session, ids: list[int]) -> dict[int, Case]:
    """The cases of one settling slice in one query, locked in id order (FOR UPDATE on PostgreSQL,
    as ``row(..., lock=True)`` locks one): a SELECT per case held SQLite's write lock ten times
    as long, and every webhook waits for that lock."""
    query = select(Case).where(Case.id.in_(ids)).order_by(Case.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found = {case.id: case for case in session.scalars(query)}
    if missing := set(ids) - set(found):
        raise LookupError(f"no Case {sorted(missing)[0]}")
    return found


def connected(port: T | None) -> T:
    """The adapter of a handler that only runs while its vendor is connected (see
    ``catalog.when_connected`` and ``skip_unconnected``)."""
    if port is None:
        raise LookupError("a handler ran for a vendor the install has not connected")
    return port


def case_snapshot_for(rt: CaseContext, session: Session, case: Case) -> CaseSnapshot:
    """The adapters' view of a case: live ticket link, stage asks and acknowledgement draft."""
    url = rt.zendesk.ticket_url(case.zendesk_ticket_id) if rt.zendesk and case.zendesk_ticket_id else None
    opening = row(session, Answer, case.opening_answer_id)
    snapshot = case_snapshot(
        session, case, protocol=rt.policies.protocol, hubspot_priority=rules.hubspot_priority(case.priority, rt.rules), ticket_url=url,
        asks=policies.stage_asks(case.profile, case.value_tier, rt.policies),
        recognition_draft=policies.recognition(opening.locale, opening.customer_name, opening.comment,
                                               case.owner_name, rt.policies))
    mark = _systemic_mark(rt, session, case)
    return dataclasses.replace(snapshot, systemic=mark) if mark else snapshot


def _systemic_mark(rt: CaseContext, session: Session, case: Case) -> SystemicMark | None:
    """The case's open systemic issue, once its problem ticket exists: a recovery ticket opened
    from now on carries the tag and note at creation (one bulk update fewer for the issue)."""
    if case.systemic_issue_id is None:
        return None
    issue = row(session, SystemicIssue, case.systemic_issue_id)  # one row for many members (identity map)
    cause = rt.policies.causes.get(issue.cause)
    if issue.problem_ticket_id is None or issue.solved_at is not None or cause is None:
        return None
    return SystemicMark(systemic.systemic_tag(cause.key), systemic.member_note(cause, issue.id, issue.problem_ticket_id),
                        int(issue.problem_ticket_id))


def batch_limit(rt: CaseContext) -> int:
    """Objects per vendor call and jobs per group (BATCH_LIMIT; 1 is one call per object)."""
    return int(rt.config.get("BATCH_LIMIT", 100))


def skip_unconnected(rt: CaseContext, jobs: list[ClaimedJob], vendor: str) -> bool:
    """A vendor the install has not connected: its side counts as done, quietly."""
    if getattr(rt, vendor) is not None:
        return False
    with transaction(rt.sessions) as session:
        for job in jobs:
            if job.kind in CASE_KINDS:
                setattr(row(session, Case, job.ref_id), f"{vendor}_synced", True)
            complete(session, job, rt.clock())
    return True


def finish_cases(rt: CaseContext, jobs: list[ClaimedJob], settled: Mapping[int, Mapping[str, object]]) -> None:
    """Set ``settled[job id]`` (column -> value) on each served job's case, then complete the
    job, a slice per transaction.

    Rows are locked (FOR UPDATE, see when_both_synced) in case id order, the same in every
    handler, so two groups finishing the same cases on PostgreSQL cannot deadlock.
    """
    for part in in_slices(sorted(jobs, key=lambda j: j.ref_id), SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            cases = locked_cases(session, [job.ref_id for job in part])
            follow_ups: list[tuple[str, int, str]] = []
            for job in part:
                case = cases[job.ref_id]
                for column, value in settled[job.id].items():
                    setattr(case, column, value)
                follow_ups += when_both_synced(rt, case)
                complete(session, job, rt.clock())
            enqueue_many(session, follow_ups, tenant_id=rt.tenant_id)  # one INSERT for the slice


def when_both_synced(rt: CaseContext, case: Case) -> list[tuple[str, int, str]]:
    """The jobs ``(kind, ref id, dedupe key)`` to queue once both vendors have the case: whichever
    vendor job finishes second links the ticket on the contact and adds the rep's note.

    Both callers hold the case row locked (FOR UPDATE): on PostgreSQL two jobs in two processes
    would otherwise each read the row before the other's commit, and neither would see both done.
    """
    if not case.hubspot_synced or not (case.zendesk_ticket_id or rt.zendesk is None):
        return []
    kinds = ["hubspot.link_ticket"] if case.zendesk_ticket_id and not case.hubspot_ticket_url_synced else []
    kinds += ["hubspot.case_note", "hubspot.rep_heads_up"]  # the rep is told first
    return [(kind, case.id, f"{kind}:{case.id}") for kind in kinds]


def complete_served(rt: CaseContext, jobs: list[ClaimedJob],
                    results: Mapping[int, object]) -> dict[int, Exception]:
    """Complete the jobs whose result is not an error, a slice per transaction; return the errors."""
    failures = {job.id: result for job in jobs if isinstance(result := results[job.id], Exception)}
    for part in in_slices([job for job in jobs if job.id not in failures], SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            for job in part:
                complete(session, job, rt.clock())
    return failures


def require_synced(value: T | None, what: str) -> T:
    if value is None:
        raise RetryableError(f"waiting for the initial sync ({what})")
    return value




def replay_dead_job(session: Session, job_id: int, now: datetime) -> bool:
    """Requeue a dead job and clear its case's failed flag (admin API and CLI)."""
    if not replay(session, job_id, now):
        return False
    job = row(session, Job, job_id)
    if job.kind in CASE_KINDS:
        row(session, Case, job.ref_id).sync_failed = False
    return True
