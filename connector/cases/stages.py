"""Completing a REACT stage, from whichever system the person used.

An agent may complete a stage in the Zendesk sidebar (admin API), by tagging
the ticket in Zendesk, or by ticking the task in HubSpot. All three land in
``complete_stage``; the other systems are then brought up to date by jobs
that read the current state, so completing twice or out of order is harmless.
"""
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, require_synced, row
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.keys import hubspot_done_key, hubspot_task_key, ledger_scope, zendesk_done_key
from connector.store.db import transaction
from connector.store.models import Case, Stage
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)


def complete_stage(session: Session, case: Case, key: str, now: datetime, *, source: str, details: dict[str, Any] | None = None) -> bool:
    """Mark ``key`` done; True if it changed. Enqueues the other systems' updates.

    ``details`` (e.g. the compensation given) are kept even when the stage was
    already done elsewhere: the sidebar is where the amount is entered."""
    # Completions of one case are serialised: the done count below names the sync jobs.
    session.refresh(case, with_for_update=True)
    stage = next((s for s in case.stages if s.key == key), None)
    if stage is None:
        raise KeyError(key)
    if details:
        stage.details = {**(stage.details or {}), **details}
    if stage.status == "done":
        return False
    stage.status, stage.completed_at = "done", now
    session.flush()
    done = session.scalar(select(func.count()).select_from(Stage).where(
        Stage.case_id == case.id, Stage.status == "done"))
    # One job per state of the case: a repeat of the same completion adds nothing.
    for kind in ("zendesk.stage_update", "hubspot.stage_update"):
        enqueue(session, kind, case.id, tenant_id=case.tenant_id, dedupe_key=f"{kind}:{case.id}:{done}")
    log.info("stage done case_id=%s stage=%s source=%s", case.id, key, source)
    return True


def zendesk_stage_update(rt: CaseContext, job: ClaimedJob) -> None:
    """Due date follows the next open stage; done tags and a note for each stage done elsewhere."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id = require_synced(case.zendesk_ticket_id, "Zendesk ticket")
        snapshot = case_snapshot_for(rt, session, case)
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    newly_done = [s for s in snapshot.stages if s.status == "done" and not ledger.get(zendesk_done_key(s.key))]
    upcoming = snapshot.next_stage
    note = "\n".join(f"Stage done: {s.title} ({s.key}) at {s.completed_at:%Y-%m-%d %H:%M} UTC" for s in newly_done)
    connected(rt.zendesk).update_ticket(ticket_id, due_at=upcoming.due_at if upcoming else None,
                             tags_add=[connected(rt.zendesk).mapping.done_tag(s.key) for s in newly_done], note=note or None)
    for stage in newly_done:
        ledger.record(zendesk_done_key(stage.key), str(ticket_id))
    finish(rt, job)


def hubspot_stage_update(rt: CaseContext, job: ClaimedJob) -> None:
    """Tasks of done stages completed; the contact's stage and next due date kept current."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        contact_id = require_synced(case.hubspot_contact_id if case.hubspot_synced else None, "HubSpot tasks")
        snapshot = case_snapshot_for(rt, session, case)
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    for stage in snapshot.stages:
        task_id = ledger.get(hubspot_task_key(stage.key))
        if stage.status == "done" and task_id and not ledger.get(hubspot_done_key(stage.key)):
            connected(rt.hubspot).complete_task(task_id)
            ledger.record(hubspot_done_key(stage.key), task_id)
    connected(rt.hubspot).upsert_contact(snapshot.answer, snapshot, snapshot.zendesk_ticket_url)
    log.info("hubspot stage state updated case_id=%s contact_id=%s", job.ref_id, contact_id)
    finish(rt, job)

