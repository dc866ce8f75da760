"""Job handlers: push one case (or one answer) to Zendesk and HubSpot.

Zendesk and HubSpot get separate jobs so an outage of one never delays the
other. The HubSpot contact shows the Zendesk ticket link: whichever of the two
jobs finishes second sees both facts committed and enqueues ``link_ticket``.
Each handler takes ids, re-reads the rows, and is safe to run again. The HubSpot
handlers are in ``sync_hubspot``.
"""
import logging

from connector.domain import policies, profile, rules
from connector.errors import SyncError
from connector.jobs.queue import ClaimedJob, complete, enqueue
from connector.jobs.registry import CASE_JOBS, group_handler
from connector.providers.base import in_slices
from connector.providers.zendesk.bulk import TicketOpen
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import DbLedger, case_snapshot, earlier_scores

log = logging.getLogger(__name__)
# Jobs settled per transaction: on SQLite a transaction holds the one write lock, and a hundred
# cases settled at once kept every webhook waiting 100-200 ms; ten hold it ~20-50 ms.
SETTLE_SLICE = 10


def case_snapshot_for(rt, session, case: Case):
    """The adapters' view of a case: live ticket link, stage asks and acknowledgement draft."""
    url = rt.zendesk.ticket_url(case.zendesk_ticket_id) if rt.zendesk and case.zendesk_ticket_id else None
    opening = session.get(Answer, case.opening_answer_id)
    return case_snapshot(
        session, case, hubspot_priority=rules.hubspot_priority(case.priority, rt.rules), ticket_url=url,
        asks=policies.stage_asks(case.profile, case.value_tier, rt.policies),
        recognition_draft=policies.recognition(opening.locale, opening.customer_name, opening.comment,
                                               case.owner_name, rt.policies))


def batch_limit(rt) -> int:
    """Objects per vendor call and jobs per group (BATCH_LIMIT; 1 is one call per object)."""
    return int(rt.config.get("BATCH_LIMIT", 100))


def skip_unconnected(rt, jobs: list[ClaimedJob], vendor: str) -> bool:
    """A vendor the install has not connected: its side counts as done, quietly."""
    if getattr(rt, vendor) is not None:
        return False
    with transaction(rt.sessions) as session:
        for job in jobs:
            if job.kind in CASE_JOBS:
                setattr(session.get(Case, job.ref_id), f"{vendor}_synced", True)
            complete(session, job, rt.clock())
    return True


@group_handler("zendesk.sync_case", case_job=True)
def zendesk_sync_cases(rt, jobs: list[ClaimedJob]) -> dict:
    """The recovery tickets of every due case of one tenant: one bulk request per BATCH_LIMIT
    (see ``providers.zendesk.bulk``), a lone case one create with its Idempotency-Key."""
    if skip_unconnected(rt, jobs, "zendesk"):
        return {}
    _refine_profiles(rt, [job.ref_id for job in jobs])
    with reading(rt.sessions) as session:
        snapshots = {job.id: case_snapshot_for(rt, session, session.get(Case, job.ref_id)) for job in jobs}
    ledgers = {job.id: DbLedger(rt.sessions, f"case:{job.ref_id}") for job in jobs}
    opened = rt.zendesk.open_tickets([TicketOpen(job.id, snapshots[job.id], ledgers[job.id], job.fresh)
                                      for job in jobs], batch_limit(rt))
    failures = {}
    for job in jobs:
        ticket_id, snapshot, ledger = opened[job.id], snapshots[job.id], ledgers[job.id]
        try:
            if isinstance(ticket_id, Exception):
                raise ticket_id
            if rt.config.get("RECOGNITION_PUBLIC_REPLY") and snapshot.recognition_draft \
                    and not ledger.get("zendesk.reply"):
                rt.zendesk.update_ticket(ticket_id, public_reply=snapshot.recognition_draft)
                ledger.record("zendesk.reply", str(ticket_id))
        except SyncError as exc:
            failures[job.id] = exc

    def settle(case: Case, job: ClaimedJob) -> None:
        case.zendesk_ticket_id, case.zendesk_synced = int(opened[job.id]), True

    finish_cases(rt, [job for job in jobs if job.id not in failures], settle)
    log.info("zendesk tickets ready for %d of %d cases", len(jobs) - len(failures), len(jobs))
    return failures


def finish_cases(rt, jobs: list[ClaimedJob], settle) -> None:
    """``settle(case, job)`` then complete, for every served job, a slice per transaction.

    Rows are locked (FOR UPDATE, see when_both_synced) in case id order, the same in every
    handler, so two groups finishing the same cases on PostgreSQL cannot deadlock.
    """
    for part in in_slices(sorted(jobs, key=lambda j: j.ref_id), SETTLE_SLICE):
        with transaction(rt.sessions) as session:
            for job in part:
                case = session.get(Case, job.ref_id, with_for_update=True)
                settle(case, job)
                when_both_synced(rt, session, case)
                complete(session, job, rt.clock())


def when_both_synced(rt, session, case: Case) -> None:
    """Whichever vendor job finishes second links the ticket on the contact and adds the rep's note.

    Both callers hold the case row locked (FOR UPDATE): on PostgreSQL two jobs in two processes
    would otherwise each read the row before the other's commit, and neither would see both done.
    """
    if not case.hubspot_synced or not (case.zendesk_ticket_id or rt.zendesk is None):
        return
    if case.zendesk_ticket_id and not case.hubspot_ticket_url_synced:
        enqueue(session, "hubspot.link_ticket", case.id, tenant_id=case.tenant_id)
    enqueue(session, "hubspot.case_note", case.id, tenant_id=case.tenant_id)


def _refine_profiles(rt, case_ids: list[int]) -> None:
    """Add the requesters' Zendesk ticket history (3+ tickets in 90 days: chronic) to the profiles.

    History only ever adds the chronic signal, so it is asked for only when it can change the
    profile: a case already structural (which outranks everything) or chronic by its words or
    earlier answers keeps its profile whatever the count, and its search call is saved. (A
    chronic case then shows the signals that decided it, without the ticket count.)
    """
    profile_rules = rt.policies.profile
    with reading(rt.sessions) as session:
        asked = {}
        for case_id in case_ids:
            answer = session.get(Answer, session.get(Case, case_id).opening_answer_id)
            asked[case_id] = (answer.customer_email, answer.comment, answer.locale, earlier_scores(session, answer))
    found, throttled = {}, False
    for case_id, (email, comment, locale, earlier) in asked.items():
        if throttled or profile.classify_profile(comment, locale, recent_ticket_count=None, earlier_scores=earlier,
                                                 rules=profile_rules).profile != "disappointed":
            continue
        try:
            count = rt.zendesk.recent_ticket_count(email, profile_rules.ticket_window_days, rt.clock())
        except SyncError as exc:  # history is a refinement: never block the ticket on it
            log.warning("ticket history unavailable case_id=%s: %s", case_id, exc)
            throttled = exc.retry_after is not None  # rate-limited: the group's other searches would be too
            continue
        found[case_id] = (profile.classify_profile(comment, locale, recent_ticket_count=count, earlier_scores=earlier,
                                                   rules=profile_rules), count)
    with transaction(rt.sessions) as session:
        for case_id, (result, count) in found.items():
            case = session.get(Case, case_id)
            if (case.profile, list(case.profile_signals or [])) != (result.profile, list(result.signals)):
                case.profile, case.profile_signals = result.profile, list(result.signals)
                enqueue(session, "hubspot.stage_update", case.id, tenant_id=case.tenant_id,
                        dedupe_key=f"hubspot.stage_update:{case.id}:profile")
                log.info("profile refined case_id=%s profile=%s tickets_90d=%s", case_id, result.profile, count)


def replay_dead_job(session, job_id: int, now) -> bool:
    """Requeue a dead job and clear its case's failed flag (admin API and CLI)."""
    from connector.jobs.queue import replay
    from connector.store.models import Job

    if not replay(session, job_id, now):
        return False
    job = session.get(Job, job_id)
    if job.kind in CASE_JOBS:
        session.get(Case, job.ref_id).sync_failed = False
    return True
