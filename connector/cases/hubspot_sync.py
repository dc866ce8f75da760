"""HubSpot job handlers: each serves every due job of its kind and tenant in few calls.

The worker claims a group (``queue.claim_group``: whatever is already due, so a lone
answer goes alone at once) and hands it here; under a backlog one upsert carries up
to BATCH_LIMIT contacts and one task batch up to BATCH_LIMIT tasks of several cases.
Each job is settled on its own: the served ones commit, a failed item fails only its
job (see ``providers.hubspot.chunks``). Safe to run again: contacts are upserted by
e-mail, tasks and notes go through the case's ledger and natural keys.
"""
import logging
from typing import cast

from connector.cases.company_rollup import known_domains, queue_rollups
from connector.cases.context import CaseContext
from connector.cases.shared import (
    SETTLE_SLICE,
    batch_limit,
    case_snapshot_for,
    complete_served,
    connected,
    finish_cases,
    locked_cases,
    row,
    skip_unconnected,
)
from connector.infra.slices import in_slices
from connector.jobs.queue import ClaimedJob, complete
from connector.ports.batches import CaseWrite, ContactWrite, TicketLink, owner_at_write
from connector.ports.keys import HUBSPOT_CONTACT_OWNER, ledger_scope
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import DbLedger, answer_snapshot

log = logging.getLogger(__name__)


def hubspot_sync_answers(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """Promoters and passives: only the contacts' nps_* properties change."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        answers = {job.id: answer_snapshot(row(session, Answer, job.ref_id)) for job in jobs}
    results = connected(rt.hubspot).upsert_contacts(
        [ContactWrite(job.id, answers[job.id]) for job in jobs], batch_limit(rt),
        known_domains(rt, {a.customer_email for a in answers.values()}))  # new contacts are made with their company
    # the contact id as the upsert answered it: it says whether the upsert made the contact
    queue_rollups(rt, [(job.ref_id, answers[job.id].customer_email, contact, "answer")
                       for job in jobs if not isinstance(contact := results[job.id], Exception)])
    return complete_served(rt, jobs, results)


def hubspot_sync_cases(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """Contacts flagged (with the ticket link when the ticket exists) and eight tasks per case."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        snapshots = {job.id: case_snapshot_for(rt, session, row(session, Case, job.ref_id)) for job in jobs}
    contacts = connected(rt.hubspot).upsert_contacts(
        [ContactWrite(job.id, s.answer, s, s.zendesk_ticket_url) for job in jobs for s in [snapshots[job.id]]],
        batch_limit(rt), known_domains(rt, {s.answer.customer_email for s in snapshots.values()}))
    failures = {j: r for j, r in contacts.items() if isinstance(r, Exception)}
    queue_rollups(rt, [(snapshots[job.id].answer.answer_id, snapshots[job.id].answer.customer_email,
                        contact, "open") for job in jobs if not isinstance(contact := contacts[job.id], Exception)])
    served = [job for job in jobs if job.id not in failures]
    for part in in_slices(served, SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            cases = locked_cases(session, [job.ref_id for job in part])
            for job in part:
                cases[job.ref_id].hubspot_contact_id = str(contacts[job.id])
    ledgers = {job.id: DbLedger(rt.sessions, ledger_scope(job.ref_id)) for job in served}
    # The owner the write saw: the rep's heads-up, moments later, tells them without a read.
    DbLedger.record_together([(ledgers[job.id], HUBSPOT_CONTACT_OWNER, owner)
                              for job in served if (owner := owner_at_write(cast(str, contacts[job.id]))) is not None])
    tasks = connected(rt.hubspot).create_case_tasks(
        [CaseWrite(job.id, snapshots[job.id], str(contacts[job.id]), ledgers[job.id], job.fresh) for job in served],
        batch_limit(rt))
    failures.update({job.id: outcome for job in served if isinstance(outcome := tasks[job.id], Exception)})

    done = [job for job in served if job.id not in failures]
    finish_cases(rt, done, {job.id: {"hubspot_synced": True,
                                     "hubspot_ticket_url_synced": snapshots[job.id].zendesk_ticket_url is not None}
                            for job in done})
    log.info("hubspot contacts and tasks ready for %d of %d cases", len(jobs) - len(failures), len(jobs))
    return failures


def hubspot_link_tickets(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """The Zendesk ticket link on the contacts, in one batch update per BATCH_LIMIT contacts."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        cases = {job.id: row(session, Case, job.ref_id) for job in jobs}
    # Per contact the newest case's (then the newest follow-up's) ticket wins.
    # Enqueued once the contact and the ticket both exist (shared.when_both_synced, followup).
    links = [TicketLink(job.id, cast(str, c.hubspot_contact_id),
                        connected(rt.zendesk).ticket_url(cast(int, c.zendesk_ticket_id)),
                        (c.id, cast(int, c.zendesk_ticket_id))) for job in jobs for c in [cases[job.id]]]
    results = connected(rt.hubspot).set_ticket_urls(links, batch_limit(rt))
    failures = {job.id: outcome for job in jobs if isinstance(outcome := results[job.id], Exception)}
    for part in in_slices(sorted((job for job in jobs if job.id not in failures), key=lambda j: j.ref_id),
                          SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            cases = locked_cases(session, [job.ref_id for job in part])
            for job in part:
                cases[job.ref_id].hubspot_ticket_url_synced = True
                complete(session, job, rt.clock())
    return failures
