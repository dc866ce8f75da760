"""Stages left when the recovery ticket is solved or closed go on a follow-up ticket.

Agents solve tickets when the customer's problem is fixed, but the protocol
still has its tracking calls and the re-survey ahead; a closed ticket cannot
take them, so they move to a new ticket that carries the same plan.
"""
import logging

from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, row
from connector.jobs.queue import ClaimedJob, complete, enqueue
from connector.ports.keys import ZENDESK_FOLLOWUP_FOR, followup_for_key, ledger_scope
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)


def request_followup(session: Session, case: Case, closed_ticket_id: int) -> bool:
    """Enqueue a follow-up if the closed ticket is the case's and stages are left."""
    if case.status != "open" or case.zendesk_ticket_id != closed_ticket_id:
        return False
    if all(stage.status == "done" for stage in case.stages):
        return False
    return enqueue(session, "zendesk.followup", case.id, tenant_id=case.tenant_id,
                   dedupe_key=f"zendesk.followup:{case.id}:{closed_ticket_id}")


def zendesk_followup(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        closed_id = case.zendesk_ticket_id
        snapshot = case_snapshot_for(rt, session, case)
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    new_id = ledger.get(followup_for_key(closed_id))
    if new_id is None:
        number = len(ledger.keys(ZENDESK_FOLLOWUP_FOR)) + 1  # stable across retries until recorded
        new_id = str(connected(rt.zendesk).open_followup(snapshot, number, ledger, first_attempt=job.fresh))
        ledger.record(followup_for_key(closed_id), new_id)
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id, lock=True)
        case.zendesk_ticket_id = int(new_id)
        complete(session, job, rt.clock())
    # The contact's ticket link must follow the live ticket.
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id, lock=True)
        case.hubspot_ticket_url_synced = False
        if case.hubspot_synced:
            enqueue(session, "hubspot.link_ticket", case.id, tenant_id=case.tenant_id,
                    dedupe_key=f"hubspot.link_ticket:{case.id}:{new_id}")
    log.info("follow-up ticket case_id=%s closed=%s new=%s", job.ref_id, closed_id, new_id)
