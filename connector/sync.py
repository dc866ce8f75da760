"""Job handlers: push one case (or one answer) to Zendesk and HubSpot.

Zendesk and HubSpot get separate jobs so an outage of one never delays the
other. The HubSpot contact shows the Zendesk ticket link: whichever of the two
jobs finishes second sees both facts committed and enqueues ``link_ticket``.
Each handler takes ids, re-reads the rows, and is safe to run again.
"""
import logging

from connector.domain import policies, profile, rules
from connector.errors import SyncError
from connector.jobs.queue import ClaimedJob, complete, enqueue
from connector.jobs.registry import CASE_JOBS, handler
from connector.store.db import transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import DbLedger, answer_snapshot, case_snapshot, earlier_scores

log = logging.getLogger(__name__)


def case_snapshot_for(rt, session, case: Case):
    """The adapters' view of a case: live ticket link, stage asks and acknowledgement draft."""
    url = rt.zendesk.ticket_url(case.zendesk_ticket_id) if rt.zendesk and case.zendesk_ticket_id else None
    opening = session.get(Answer, case.opening_answer_id)
    return case_snapshot(
        session, case, hubspot_priority=rules.hubspot_priority(case.priority, rt.rules), ticket_url=url,
        asks=policies.stage_asks(case.profile, case.value_tier, rt.policies),
        recognition_draft=policies.recognition(opening.locale, opening.customer_name, opening.comment,
                                               case.owner_name, rt.policies))


def _skip_unconnected(rt, job: ClaimedJob, vendor: str) -> bool:
    """A vendor the install has not connected: its side counts as done, quietly."""
    if getattr(rt, vendor) is not None:
        return False
    with transaction(rt.sessions) as session:
        if job.kind in CASE_JOBS:
            setattr(session.get(Case, job.ref_id), f"{vendor}_synced", True)
        complete(session, job, rt.clock())
    return True


@handler("zendesk.sync_case", case_job=True)
def zendesk_sync_case(rt, job: ClaimedJob) -> None:
    if _skip_unconnected(rt, job, "zendesk"):
        return
    _refine_profile(rt, job.ref_id)
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id)
        snapshot = case_snapshot_for(rt, session, case)
    ledger = DbLedger(rt.sessions, f"case:{case.id}")
    ticket_id = rt.zendesk.open_ticket(snapshot, ledger, first_attempt=job.fresh)
    if rt.config.get("RECOGNITION_PUBLIC_REPLY") and snapshot.recognition_draft and not ledger.get("zendesk.reply"):
        rt.zendesk.update_ticket(ticket_id, public_reply=snapshot.recognition_draft)
        ledger.record("zendesk.reply", str(ticket_id))
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id, with_for_update=True)  # see _when_both_synced
        case.zendesk_ticket_id, case.zendesk_synced = int(ticket_id), True
        _when_both_synced(rt, session, case)
        complete(session, job, rt.clock())
    log.info("zendesk ticket ready case_id=%s ticket_id=%s", job.ref_id, ticket_id)


def _when_both_synced(rt, session, case: Case) -> None:
    """Whichever vendor job finishes second links the ticket on the contact and adds the rep's note.

    Both callers hold the case row locked (FOR UPDATE): on PostgreSQL two jobs in two processes
    would otherwise each read the row before the other's commit, and neither would see both done.
    """
    if not case.hubspot_synced or not (case.zendesk_ticket_id or rt.zendesk is None):
        return
    if case.zendesk_ticket_id and not case.hubspot_ticket_url_synced:
        enqueue(session, "hubspot.link_ticket", case.id, tenant_id=case.tenant_id)
    enqueue(session, "hubspot.case_note", case.id, tenant_id=case.tenant_id)


def _refine_profile(rt, case_id: int) -> None:
    """Add the requester's Zendesk ticket history (3+ tickets in 90 days: chronic) to the profile."""
    with transaction(rt.sessions) as session:
        answer = session.get(Answer, session.get(Case, case_id).opening_answer_id)
        email, comment, locale = answer.customer_email, answer.comment, answer.locale
        earlier = earlier_scores(session, answer)
    try:
        count = rt.zendesk.recent_ticket_count(email, rt.policies.profile.ticket_window_days, rt.clock())
    except SyncError as exc:  # history is a refinement: never block the ticket on it
        log.warning("ticket history unavailable case_id=%s: %s", case_id, exc)
        return
    found = profile.classify_profile(comment, locale, recent_ticket_count=count, earlier_scores=earlier,
                                     rules=rt.policies.profile)
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if (case.profile, list(case.profile_signals or [])) != (found.profile, list(found.signals)):
            case.profile, case.profile_signals = found.profile, list(found.signals)
            enqueue(session, "hubspot.stage_update", case.id, tenant_id=case.tenant_id,
                    dedupe_key=f"hubspot.stage_update:{case.id}:profile")
            log.info("profile refined case_id=%s profile=%s tickets_90d=%s", case_id, found.profile, count)


@handler("hubspot.sync_case", case_job=True)
def hubspot_sync_case(rt, job: ClaimedJob) -> None:
    if _skip_unconnected(rt, job, "hubspot"):
        return
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id)
        snapshot = case_snapshot_for(rt, session, case)
    contact_id = rt.hubspot.upsert_contact(snapshot.answer, snapshot, snapshot.zendesk_ticket_url)
    with transaction(rt.sessions) as session:
        session.get(Case, job.ref_id).hubspot_contact_id = str(contact_id)
    rt.hubspot.create_stage_tasks(snapshot, str(contact_id), DbLedger(rt.sessions, f"case:{job.ref_id}"),
                                  first_attempt=job.fresh)
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id, with_for_update=True)  # see _when_both_synced
        case.hubspot_synced = True
        case.hubspot_ticket_url_synced = snapshot.zendesk_ticket_url is not None
        _when_both_synced(rt, session, case)
        complete(session, job, rt.clock())
    log.info("hubspot contact and tasks ready case_id=%s contact_id=%s", job.ref_id, contact_id)


@handler("hubspot.link_ticket", case_job=True)
def hubspot_link_ticket(rt, job: ClaimedJob) -> None:
    if _skip_unconnected(rt, job, "hubspot"):
        return
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id)
        contact_id, ticket_id = case.hubspot_contact_id, case.zendesk_ticket_id
    rt.hubspot.set_ticket_url(contact_id, rt.zendesk.ticket_url(ticket_id))
    with transaction(rt.sessions) as session:
        session.get(Case, job.ref_id, with_for_update=True).hubspot_ticket_url_synced = True
        complete(session, job, rt.clock())


@handler("hubspot.sync_answer")
def hubspot_sync_answer(rt, job: ClaimedJob) -> None:
    """Promoters and passives: only the contact's nps_* properties change."""
    if _skip_unconnected(rt, job, "hubspot"):
        return
    with transaction(rt.sessions) as session:
        snapshot = answer_snapshot(session.get(Answer, job.ref_id))
    rt.hubspot.upsert_contact(snapshot, None, None)
    with transaction(rt.sessions) as session:
        complete(session, job, rt.clock())



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
