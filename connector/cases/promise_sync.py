"""The promises carried to the vendors: a dated HubSpot task each (completed when kept), and a
line each on the ticket's note followed by the written confirmation drafted for the customer."""
import logging

from connector.cases.context import CaseContext
from connector.cases.promises import confirmation, of_case, snapshot
from connector.cases.shared import case_snapshot_for, connected, require_synced, row
from connector.domain.promises import lines
from connector.jobs.queue import ClaimedJob, finish
from connector.ports.keys import HUBSPOT_PROMISE_DONE, ZENDESK_PROMISE, ledger_scope, promise_key
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)


def hubspot_promise_tasks(rt: CaseContext, job: ClaimedJob) -> None:
    """A dated task per promise; the task of a kept promise completed."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        contact_id = require_synced(case.hubspot_contact_id if case.hubspot_synced else None, "HubSpot contact")
        case_view = case_snapshot_for(rt, session, case)
        promises = [snapshot(p) for p in of_case(session, case.id)]
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    hubspot = connected(rt.hubspot)
    tasks = hubspot.create_promise_tasks(case_view, contact_id, promises, ledger, job.fresh)
    for promise in promises:
        done_key = promise_key(HUBSPOT_PROMISE_DONE, promise.promise_id)
        if promise.status == "kept" and not ledger.get(done_key):
            hubspot.complete_task(tasks[promise.promise_id])
            ledger.record(done_key, tasks[promise.promise_id])
    finish(rt, job)


def zendesk_promise_note(rt: CaseContext, job: ClaimedJob) -> None:
    """The promises not yet on the ticket, a line each, then the confirmation to send."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id = require_synced(case.zendesk_ticket_id, "Zendesk ticket")
        draft = confirmation(rt.policies, session, case)
        promises = [snapshot(p) for p in of_case(session, case.id)]
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    new = [p for p in promises if not ledger.get(promise_key(ZENDESK_PROMISE, p.promise_id))]
    if new:
        text = "\n".join(lines([(p.what, p.who, p.due_at) for p in new]))
        if draft:
            text += "\n\nWritten confirmation to send to the customer (draft):\n\n" + draft
        connected(rt.zendesk).update_ticket(ticket_id, note=text)
        for promise in new:
            ledger.record(promise_key(ZENDESK_PROMISE, promise.promise_id), str(ticket_id))
    finish(rt, job)
