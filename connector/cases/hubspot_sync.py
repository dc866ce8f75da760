"""HubSpot job handlers: each serves every due job of its kind and tenant in few calls.

The worker claims a group (``queue.claim_group``: whatever is already due, so a lone
answer goes alone at once) and hands it here; under a backlog one upsert carries up
to BATCH_LIMIT contacts and one task batch up to BATCH_LIMIT tasks of several cases.
Each job is settled on its own: the served ones commit, a failed item fails only its
job (see ``providers.hubspot.chunks``). Safe to run again: contacts are upserted by
e-mail, tasks and notes go through the case's ledger and natural keys.
"""
import logging

from connector.jobs.queue import ClaimedJob, complete
from connector.infra.slices import in_slices
from connector.ports.batches import CaseWrite, ContactWrite, TicketLink
from connector.ports.keys import ledger_scope
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import DbLedger, answer_snapshot
from connector.cases.shared import (SETTLE_SLICE, batch_limit, case_snapshot_for, complete_served, finish_cases,
                                    skip_unconnected)

log = logging.getLogger(__name__)


def hubspot_sync_answers(rt, jobs: list[ClaimedJob]) -> dict:
    """Promoters and passives: only the contacts' nps_* properties change."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        answers = {job.id: answer_snapshot(session.get(Answer, job.ref_id)) for job in jobs}
    results = rt.hubspot.upsert_contacts([ContactWrite(job.id, answers[job.id]) for job in jobs], batch_limit(rt))
    return complete_served(rt, jobs, results)


def hubspot_sync_cases(rt, jobs: list[ClaimedJob]) -> dict:
    """Contacts flagged (with the ticket link when the ticket exists) and eight tasks per case."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        snapshots = {job.id: case_snapshot_for(rt, session, session.get(Case, job.ref_id)) for job in jobs}
    contacts = rt.hubspot.upsert_contacts([ContactWrite(job.id, s.answer, s, s.zendesk_ticket_url)
                                           for job in jobs for s in [snapshots[job.id]]], batch_limit(rt))
    failures = {j: r for j, r in contacts.items() if isinstance(r, Exception)}
    served = [job for job in jobs if job.id not in failures]
    for part in in_slices(served, SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            for job in part:
                session.get(Case, job.ref_id).hubspot_contact_id = str(contacts[job.id])
    tasks = rt.hubspot.create_case_tasks(
        [CaseWrite(job.id, snapshots[job.id], str(contacts[job.id]), DbLedger(rt.sessions, ledger_scope(job.ref_id)),
                   job.fresh) for job in served], batch_limit(rt))
    failures.update({job.id: tasks[job.id] for job in served if isinstance(tasks[job.id], Exception)})

    def settle(case: Case, job: ClaimedJob) -> None:
        case.hubspot_synced = True
        case.hubspot_ticket_url_synced = snapshots[job.id].zendesk_ticket_url is not None

    finish_cases(rt, [job for job in served if job.id not in failures], settle)
    log.info("hubspot contacts and tasks ready for %d of %d cases", len(jobs) - len(failures), len(jobs))
    return failures


def hubspot_link_tickets(rt, jobs: list[ClaimedJob]) -> dict:
    """The Zendesk ticket link on the contacts, in one batch update per BATCH_LIMIT contacts."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        cases = {job.id: session.get(Case, job.ref_id) for job in jobs}
    # Per contact the newest case's (then the newest follow-up's) ticket wins.
    links = [TicketLink(job.id, c.hubspot_contact_id, rt.zendesk.ticket_url(c.zendesk_ticket_id),
                        (c.id, c.zendesk_ticket_id)) for job in jobs for c in [cases[job.id]]]
    results = rt.hubspot.set_ticket_urls(links, batch_limit(rt))
    failures = {job.id: results[job.id] for job in jobs if isinstance(results[job.id], Exception)}
    for part in in_slices(sorted((job for job in jobs if job.id not in failures), key=lambda j: j.ref_id),
                          SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            for job in part:
                session.get(Case, job.ref_id, with_for_update=True).hubspot_ticket_url_synced = True
                complete(session, job, rt.clock())
    return failures
