"""The account's rep is told first: a heads-up when a case opens, a note when it closes.

The source protocol wants the account's sales rep informed at once ("le commercial référent
immédiatement informé"). The heads-up is a HubSpot task for the contact's own owner; without
one it goes to the routing owner and the case records the fallback (``Case.rep``, shown in
the admin API). Both are jobs served in groups, off the webhook's 202 path; the heads-up
waits until the contact and the ticket exist (``shared.when_both_synced``) so it can link
the ticket.
"""
import logging

from connector.cases.context import CaseContext
from connector.cases.shared import (
    SETTLE_SLICE,
    batch_limit,
    case_snapshot_for,
    complete_served,
    connected,
    locked_cases,
    row,
)
from connector.infra.slices import in_slices
from connector.jobs.queue import ClaimedJob, complete
from connector.ports.batches import RepWrite
from connector.ports.errors import RetryableError
from connector.ports.keys import ledger_scope
from connector.store.db import reading, transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)


def hubspot_tell_reps(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """One heads-up task per case, in one owner read and one task batch per BATCH_LIMIT cases."""
    if rt.hubspot is None:
        return complete_served(rt, jobs, {job.id: None for job in jobs})
    with reading(rt.sessions) as session:
        snapshots = {job.id: case_snapshot_for(rt, session, row(session, Case, job.ref_id)) for job in jobs}
    failures: dict[int, Exception] = {
        job.id: RetryableError("waiting for the initial sync (HubSpot contact)")
        for job in jobs if snapshots[job.id].hubspot_contact_id is None}
    writes = [RepWrite(job.id, s, str(s.hubspot_contact_id), DbLedger(rt.sessions, ledger_scope(job.ref_id)), job.fresh)
              for job in jobs if job.id not in failures for s in [snapshots[job.id]]]
    results = connected(rt.hubspot).tell_reps(writes, batch_limit(rt)) if writes else {}
    failures.update({key: r for key, r in results.items() if isinstance(r, Exception)})
    told_at = rt.clock().isoformat()
    for part in in_slices(sorted((j for j in jobs if j.id not in failures), key=lambda j: j.ref_id), SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            cases = locked_cases(session, [job.ref_id for job in part])
            for job in part:
                told = results[job.id]
                assert not isinstance(told, Exception)
                case = cases[job.ref_id]
                if case.rep is None:  # a replay keeps the first record
                    case.rep = {"hubspot_owner_id": told.owner_id, "told_at": told_at, "fallback": told.fallback}
                complete(session, job, rt.clock())
    fallbacks = sum(1 for r in results.values() if not isinstance(r, Exception) and r.fallback)
    log.info("rep heads-up for %d of %d cases (%d to the routing owner)", len(jobs) - len(failures), len(jobs),
             fallbacks)
    return failures


def hubspot_rep_notes(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """The note that the case closed, with its outcome, to whoever got the heads-up."""
    if rt.hubspot is None:
        return complete_served(rt, jobs, {job.id: None for job in jobs})
    with reading(rt.sessions) as session:
        cases = {job.id: row(session, Case, job.ref_id) for job in jobs}
        snapshots = {job.id: case_snapshot_for(rt, session, cases[job.id]) for job in jobs}
        told = {job.id: (cases[job.id].rep or {}).get("hubspot_owner_id") for job in jobs}
    waiting = {job.id: RetryableError("waiting for the initial sync (HubSpot contact)")
               for job in jobs if snapshots[job.id].hubspot_contact_id is None}
    writes = [RepWrite(job.id, s, str(s.hubspot_contact_id), DbLedger(rt.sessions, ledger_scope(job.ref_id)),
                       job.fresh, told[job.id], rt.clock())
              for job in jobs if job.id not in waiting for s in [snapshots[job.id]]]
    results = {**(connected(rt.hubspot).add_rep_notes(writes, batch_limit(rt)) if writes else {}), **waiting}
    return complete_served(rt, jobs, results)
