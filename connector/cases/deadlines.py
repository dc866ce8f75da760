"""Deadlines: a stage past its due time and not done is overdue, and the case escalates.

``mark_overdue`` runs from every worker's loop (at most every
``SCHEDULER_INTERVAL_SECONDS``); a conditional UPDATE makes exactly one worker
win each stage, so several workers on several machines escalate once. The
effects are jobs: Zendesk priority up one level with a note to the owner,
HubSpot's stage and next due date kept current, an alert in the team chat.
"""
import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, row
from connector.domain.outcome import escalate
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.errors import RetryableError
from connector.ports.keys import (
    CHAT_OVERDUE,
    HUBSPOT_OVERDUE,
    ZENDESK_OVERDUE,
    chat_overdue_key,
    ledger_scope,
    zendesk_overdue_key,
)
from connector.ports.snapshots import CaseSnapshot, StageSnapshot
from connector.providers.chat import messages
from connector.store.db import transaction
from connector.store.models import Case, Stage
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
EFFECTS = ("zendesk.escalate", "hubspot.escalate", "chat.overdue")


def mark_overdue(rt: CaseContext, now: datetime, limit: int = 500) -> int:
    """Flag stages whose due time has passed; return how many were newly overdue."""
    with transaction(rt.sessions) as session:
        due = session.execute(select(Stage.id, Stage.case_id, Stage.key).join(Case).where(
            Case.status == "open", Stage.status == "pending", Stage.due_at <= now).limit(limit)).all()
        flagged = 0
        for stage_id, case_id, key in due:
            won = cast(CursorResult[Any], session.execute(
                update(Stage).where(Stage.id == stage_id, Stage.status == "pending").values(status="overdue"))).rowcount
            if not won:
                continue  # another worker got there first
            case = row(session, Case, case_id, lock=True)
            case.base_priority = case.base_priority or case.priority
            case.priority = escalate(case.priority)
            case.escalations = (case.escalations or 0) + 1
            for kind in EFFECTS:
                enqueue(session, kind, case_id, tenant_id=case.tenant_id, dedupe_key=f"{kind}:{case_id}:{key}")
            log.info("stage overdue case_id=%s stage=%s priority=%s", case_id, key, case.priority)
            flagged += 1
    if flagged:
        rt.notify()
    return flagged


def _overdue_not_yet(rt: CaseContext, job: ClaimedJob,
                     ledger_prefix: str) -> tuple[CaseSnapshot, DbLedger, list[StageSnapshot]]:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        snapshot = case_snapshot_for(rt, session, case)
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    late = [s for s in snapshot.stages if s.status == "overdue" and not ledger.get(ledger_prefix + s.key)]
    return snapshot, ledger, late



def zendesk_escalate(rt: CaseContext, job: ClaimedJob) -> None:
    snapshot, ledger, late = _overdue_not_yet(rt, job, ZENDESK_OVERDUE)
    if snapshot.zendesk_ticket_id is None:
        raise RetryableError("waiting for the initial sync (Zendesk ticket)")
    note = "\n".join(f"Overdue: {s.label} was due {s.due_at:%Y-%m-%d %H:%M} UTC. "
                     f"Owner: {snapshot.owner or 'unassigned'}. Priority raised to {snapshot.priority}." for s in late)
    connected(rt.zendesk).update_ticket(snapshot.zendesk_ticket_id, priority=snapshot.priority, note=note or None)
    for stage in late:
        ledger.record(zendesk_overdue_key(stage.key), str(snapshot.zendesk_ticket_id))
    finish(rt, job)


def hubspot_escalate(rt: CaseContext, job: ClaimedJob) -> None:
    snapshot, _, _ = _overdue_not_yet(rt, job, HUBSPOT_OVERDUE)
    connected(rt.hubspot).upsert_contact(snapshot.answer, snapshot, snapshot.zendesk_ticket_url)
    finish(rt, job)


def chat_overdue(rt: CaseContext, job: ClaimedJob) -> None:
    snapshot, ledger, late = _overdue_not_yet(rt, job, CHAT_OVERDUE)
    for stage in late:
        connected(rt.chat).post(messages.overdue(snapshot, stage))
        ledger.record(chat_overdue_key(stage.key), "posted")
    finish(rt, job)
