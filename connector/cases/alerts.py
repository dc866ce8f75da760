"""The moment a case opens, the account's people know.

The sales rep sees a note on the HubSpot contact's timeline (score, the
customer's words, owner, Zendesk link); critical cases (severity or value)
also post to the team chat. Both are jobs, so an outage delays them only.
Notes are written in groups (one batch create for every due note of a tenant).
"""
from connector.cases.context import CaseContext
from connector.cases.shared import (
    batch_limit,
    case_snapshot_for,
    complete_served,
    connected,
    row,
)
from connector.jobs.queue import ClaimedJob
from connector.ports.batches import CaseWrite
from connector.ports.errors import RetryableError
from connector.ports.keys import CHAT_NEW_CASE, ledger_scope
from connector.ports.snapshots import CaseSnapshot
from connector.providers.chat import messages
from connector.store.db import reading, transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger


def _snapshot(rt: CaseContext, job: ClaimedJob) -> CaseSnapshot:
    with transaction(rt.sessions) as session:
        return case_snapshot_for(rt, session, row(session, Case, job.ref_id))


def hubspot_case_notes(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """The notes of every due case in one batch create per BATCH_LIMIT notes."""
    if rt.hubspot is None:
        return complete_served(rt, jobs, {job.id: None for job in jobs})
    with reading(rt.sessions) as session:
        snapshots = {job.id: case_snapshot_for(rt, session, row(session, Case, job.ref_id)) for job in jobs}
    waiting = {job.id: RetryableError("waiting for the initial sync (HubSpot contact)")
               for job in jobs if snapshots[job.id].hubspot_contact_id is None}
    writes = [CaseWrite(job.id, s, str(s.hubspot_contact_id), DbLedger(rt.sessions, ledger_scope(job.ref_id)), job.fresh,
                        messages.new_case(s)) for job in jobs if job.id not in waiting for s in [snapshots[job.id]]]
    results = {**connected(rt.hubspot).add_case_notes(writes, batch_limit(rt)), **waiting}
    return complete_served(rt, jobs, results)


def chat_new_cases(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """One chat message per critical case (a chat webhook takes one message per post). Grouped
    all the same: with no chat connected, a campaign's alerts settle in one transaction."""
    results: dict[int, Exception | None] = {}
    for job in jobs:
        if rt.chat is None:
            results[job.id] = None
            continue
        ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
        try:
            if not ledger.get(CHAT_NEW_CASE):
                connected(rt.chat).post(messages.new_case(_snapshot(rt, job)))
                ledger.record(CHAT_NEW_CASE, "posted")
            results[job.id] = None
        except Exception as exc:  # noqa: BLE001 - this alert alone is retried (the worker types it)
            results[job.id] = exc
    return complete_served(rt, jobs, results)
