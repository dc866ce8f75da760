"""Job handlers: push one case (or one answer) to Zendesk and HubSpot.

Zendesk and HubSpot get separate jobs so an outage of one never delays the
other. The HubSpot contact shows the Zendesk ticket link: whichever of the two
jobs finishes second sees both facts committed and enqueues ``link_ticket``.
Each handler takes ids, re-reads the rows, and is safe to run again. The HubSpot
handlers are in ``sync_hubspot``.
"""
import logging

from sqlalchemy import select

from connector.cases.context import CaseContext
from connector.cases.shared import (
    batch_limit,
    case_snapshot_for,
    connected,
    finish_cases,
    locked_cases,
    row,
    skip_unconnected,
)
from connector.cases.systemic_joins import join_before_tickets
from connector.cases.systemic_updates import queue_updates, release_if_idle
from connector.cases.ticket_index import indexed_counts
from connector.cases.transitions import complete_stage
from connector.domain import profile
from connector.domain.metrics import AUTOMATIC
from connector.jobs.queue import ClaimedJob, enqueue_many
from connector.ports.batches import TicketOpen
from connector.ports.errors import SyncError
from connector.ports.keys import ZENDESK_REPLY, ledger_scope
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, SystemicIssue
from connector.store.snapshots import DbLedger, earlier_scores

log = logging.getLogger(__name__)


def zendesk_sync_cases(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """The recovery tickets of every due case of one tenant: one bulk request per BATCH_LIMIT
    (see ``providers.zendesk.bulk``), a lone case one create with its Idempotency-Key."""
    if skip_unconnected(rt, jobs, "zendesk"):
        return {}
    _refine_profiles(rt, [job.ref_id for job in jobs])
    join_before_tickets(rt, [job.ref_id for job in jobs])  # a ticket made in its issue is tagged at creation
    ensure_cause_field(rt)
    with reading(rt.sessions) as session:
        snapshots = {job.id: case_snapshot_for(rt, session, row(session, Case, job.ref_id)) for job in jobs}
    ledgers = {job.id: DbLedger(rt.sessions, ledger_scope(job.ref_id)) for job in jobs}
    opened = connected(rt.zendesk).open_tickets([TicketOpen(job.id, snapshots[job.id], ledgers[job.id], job.fresh)
                                      for job in jobs], batch_limit(rt))
    failures: dict[int, Exception] = {}
    tickets: dict[int, int] = {}
    for job in jobs:
        ticket_id, snapshot, ledger = opened[job.id], snapshots[job.id], ledgers[job.id]
        try:
            if isinstance(ticket_id, Exception):
                raise ticket_id
            tickets[job.id] = ticket_id
            if rt.config.get("RECOGNITION_PUBLIC_REPLY") and snapshot.recognition_draft \
                    and not ledger.get(ZENDESK_REPLY):
                connected(rt.zendesk).update_ticket(ticket_id, public_reply=snapshot.recognition_draft)
                ledger.record(ZENDESK_REPLY, str(ticket_id))
            if rt.config.get("RECOGNITION_PUBLIC_REPLY") and ledger.get(ZENDESK_REPLY):
                # The personal acknowledgement went out: that is the recognition stage, done.
                with transaction(rt.sessions) as session:
                    case = row(session, Case, job.ref_id)
                    # Marked automatic only when the reply did it: on a retry a person may have been first.
                    done = any(s.key == "recognition" and s.status == "done" for s in case.stages)
                    complete_stage(session, case, "recognition", rt.clock(), source="acknowledgement",
                                   details=None if done else {AUTOMATIC: True})
        except SyncError as exc:
            failures[job.id] = exc

    served = [job for job in jobs if job.id not in failures]
    finish_cases(rt, served, {job.id: {"zendesk_ticket_id": int(tickets[job.id]), "zendesk_synced": True}
                              for job in served})
    _list_on_problems(rt, [job.ref_id for job in served])
    log.info("zendesk tickets ready for %d of %d cases", len(jobs) - len(failures), len(jobs))
    return failures


def _list_on_problems(rt: CaseContext, case_ids: list[int]) -> None:
    """Cases already in a systemic issue when their ticket lands: its problem ticket lists them
    and tags their ticket (``cases.systemic``), in the issue's next update (``systemic_updates``)."""
    if not case_ids:
        return
    with transaction(rt.sessions) as session:
        members = session.execute(
            select(Case.id, SystemicIssue.id, Case.tenant_id, SystemicIssue.problem_ticket_id)
            .join(SystemicIssue, SystemicIssue.id == Case.systemic_issue_id).where(Case.id.in_(case_ids))).all()
        landed: dict[tuple[int, str, bool], list[str]] = {}
        for case_id, issue_id, tenant_id, problem_id in members:
            landed.setdefault((issue_id, tenant_id, problem_id is not None), []).append(f"{case_id}:ticket")
        queue_updates(rt, session, landed)
        if landed:  # this sync's jobs are done: was it the last that could ask?
            release_if_idle(rt, session)


def ensure_cause_field(rt: CaseContext) -> None:
    """Before the tickets: the "Recovery cause" drop-down exists (``providers.zendesk.fields``),
    so their ``cause_<key>`` tag shows in it. Once per adapter; a refusal never blocks a ticket:
    the tag alone carries the cause, and the next group tries again."""
    try:
        connected(rt.zendesk).ensure_cause_field()
    except SyncError as exc:
        log.warning("Zendesk cause field unavailable: %s", exc)


def _refine_profiles(rt: CaseContext, case_ids: list[int]) -> None:
    """Add the requesters' Zendesk ticket history (3+ tickets in 90 days: chronic) to the profiles.

    History only ever adds the chronic signal, so it is asked for only when it can change the
    profile: a case already structural (which outranks everything) or chronic by its words or
    earlier answers keeps its profile whatever the count, and its search call is saved. (A
    chronic case then shows the signals that decided it, without the ticket count.)

    Once the tenant's ticket-history index is backfilled (``cases.ticket_index``) the counts come
    from it: exact, consistent, no API call. Until then, one search per requester asked.
    """
    profile_rules = rt.policies.profile
    with reading(rt.sessions) as session:
        asked = {}
        for case_id in case_ids:
            answer = row(session, Answer, row(session, Case, case_id).opening_answer_id)
            asked[case_id] = (answer.customer_email, answer.comment, answer.locale, earlier_scores(session, answer))
    found, throttled = {}, False
    needed = {case_id: facts for case_id, facts in asked.items()
              if profile.classify_profile(facts[1], facts[2], recent_ticket_count=None, earlier_scores=facts[3],
                                          rules=profile_rules).profile == "disappointed"}
    indexed = indexed_counts(rt, sorted({facts[0] for facts in needed.values()}),
                             profile_rules.ticket_window_days, rt.clock()) if needed else None
    for case_id, (email, comment, locale, earlier) in needed.items():
        if throttled:
            continue
        try:
            count = indexed[email] if indexed is not None else connected(rt.zendesk).recent_ticket_count(
                email, profile_rules.ticket_window_days, rt.clock())
        except SyncError as exc:  # history is a refinement: never block the ticket on it
            log.warning("ticket history unavailable case_id=%s: %s", case_id, exc)
            throttled = exc.retry_after is not None  # rate-limited: the group's other searches would be too
            continue
        found[case_id] = (profile.classify_profile(comment, locale, recent_ticket_count=count, earlier_scores=earlier,
                                                   rules=profile_rules), count)
    if not found:
        return
    with transaction(rt.sessions) as session:  # the group's cases in one query, their updates in one INSERT
        cases, updates = locked_cases(session, sorted(found)), []
        for case_id, (result, count) in found.items():
            case = cases[case_id]
            if (case.profile, list(case.profile_signals or [])) != (result.profile, list(result.signals)):
                case.profile, case.profile_signals = result.profile, list(result.signals)
                updates.append(("hubspot.stage_update", case.id, f"hubspot.stage_update:{case.id}:profile"))
                log.info("profile refined case_id=%s profile=%s tickets_90d=%s", case_id, result.profile, count)
        enqueue_many(session, updates, tenant_id=rt.tenant_id)
