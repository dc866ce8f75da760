"""Completing a REACT stage, from whichever system the person used.

An agent may complete a stage in the Zendesk sidebar (admin API), by tagging
the ticket in Zendesk, or by ticking the task in HubSpot; the acknowledgement sent
as a public reply completes recognition. All land in ``transitions.complete_stage``;
the jobs here then bring the other systems up to date from the current state, so
completing twice or out of order is harmless.
"""
import logging
from collections.abc import Mapping
from typing import Any

from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, require_synced, row
from connector.domain import compensation
from connector.jobs.queue import ClaimedJob, finish
from connector.ports.keys import hubspot_done_key, hubspot_task_key, ledger_scope, zendesk_done_key
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)


def zendesk_stage_update(rt: CaseContext, job: ClaimedJob) -> None:
    """Due date follows the next open stage; done tags and a note for each stage done elsewhere."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id = require_synced(case.zendesk_ticket_id, "Zendesk ticket")
        snapshot = case_snapshot_for(rt, session, case)
        recorded = {s.key: (s.details or {}).get("compensation") for s in case.stages}
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    newly_done = [s for s in snapshot.stages if s.status == "done" and not ledger.get(zendesk_done_key(s.key))]
    upcoming = snapshot.next_stage
    note = "\n".join(f"Stage done: {s.label} at {s.completed_at:%Y-%m-%d %H:%M} UTC"
                     + _recorded_line(recorded.get(s.key)) for s in newly_done)
    connected(rt.zendesk).update_ticket(ticket_id, due_at=upcoming.due_at if upcoming else None,
                             tags_add=[connected(rt.zendesk).mapping.done_tag(s.key) for s in newly_done], note=note or None)
    for stage in newly_done:
        ledger.record(zendesk_done_key(stage.key), str(ticket_id))
    finish(rt, job)


def _recorded_line(record: Mapping[str, Any] | None) -> str:
    """The compensation an agent recorded, under its stage's line in the ticket note."""
    return f"\n{compensation.describe(record)}" if record else ""


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

