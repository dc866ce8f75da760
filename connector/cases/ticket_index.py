"""Keep each tenant's local ticket-history index (``store.ticket_index``) filled and fresh, so the
profile's "3+ tickets in 90 days" costs no search call at campaign time (issue 16, item 1).

* **Backfill**: the ``zendesk.ticket_index`` job reads Zendesk's cursor-based incremental ticket
  export (``providers.zendesk.export``) from ``ticket_window_days`` (+1) ago, a page per
  transaction with the cursor after it, until ``end_of_stream``: from then on the index is the
  history's source and the search only its fallback. The export's own limit (10 requests a minute,
  ``ZENDESK_EXPORT_CALLS_PER_MINUTE``) is a shared bucket: when it says wait, the job goes back to
  the queue for that long (pacing, no attempt spent) instead of holding a worker.
* **Kept fresh**: ``ticket.created`` and ``ticket.status_changed`` events update the index as they
  come (``index_event_ticket``); a periodic pull (``TICKET_INDEX_PULL_SECONDS``, default 300)
  continues from the saved cursor and catches what the events missed.
* **When**: the scan enqueues a pull for the environment's account and every installed Zendesk
  account whose index is not backfilled (at start, and within a scan of an install) or whose last
  pull is older than the interval; never a second one while one is queued or running.
* An event's requester not known by e-mail yet is read once (``zendesk.index_requester``:
  ``GET /api/v2/users/{id}``), so tickets arriving by event count before the next pull.
"""
import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from connector.cases.context import CaseContext
from connector.cases.shared import connected
from connector.installs import DEFAULT_TENANT
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.errors import PermanentError, SyncError
from connector.ports.ticket_history import PULL_KIND, TicketRecord, pull_dedupe_key
from connector.store import ticket_index
from connector.store.db import reading, transaction
from connector.store.models import IndexedRequester, IndexedTicket, Job
from connector.store.tenancy import Installation

log = logging.getLogger(__name__)
__all__ = ["PULL_KIND", "REQUESTER_KIND", "index_event_ticket", "index_status_change", "indexed_counts",
           "lookup_requesters", "pull", "resolve_requesters", "schedule_pulls"]
REQUESTER_KIND = "zendesk.index_requester"
DEFAULT_PULL_SECONDS = 300.0
_ACTIVE = ("queued", "running")
_LOOKUPS_PER_JOB = 50


def pull_seconds(rt: CaseContext) -> float:
    return float(rt.config.get("TICKET_INDEX_PULL_SECONDS") or DEFAULT_PULL_SECONDS)


def _tenants(rt: CaseContext) -> list[str]:
    with reading(rt.sessions) as session:
        installed = session.scalars(select(Installation.tenant_id).where(Installation.vendor == "zendesk")).all()
    return [DEFAULT_TENANT, *sorted(set(installed) - {DEFAULT_TENANT})]


def schedule_pulls(rt: CaseContext, now: datetime) -> int:
    """Enqueue the pulls that are due (see the module's "When"); returns how many."""
    every = pull_seconds(rt)
    queued = 0
    for tenant_id in _tenants(rt):
        if rt.for_tenant(tenant_id).zendesk is None:
            continue
        with transaction(rt.sessions) as session:
            row = ticket_index.state(session, tenant_id)
            fresh = (row is not None and row.backfilled_at is not None and row.pulled_at is not None
                     and (now - row.pulled_at).total_seconds() < every)
            busy = session.scalar(select(exists().where(Job.kind == PULL_KIND, Job.tenant_id == tenant_id,
                                                        Job.status.in_(_ACTIVE))))
            if fresh or busy:
                continue
            period = int(now.timestamp() // max(every, 1.0))
            queued += enqueue(session, PULL_KIND, 0, tenant_id=tenant_id, dedupe_key=pull_dedupe_key(tenant_id, period))
    if queued:
        rt.notify()
    return queued


def pull(rt: CaseContext, job: ClaimedJob) -> None:
    """``zendesk.ticket_index``: export pages from the saved cursor until the end of the stream.
    A rate limit (ours or Zendesk's 429) raises: the pages read so far are kept, the job waits."""
    zendesk = connected(rt.zendesk)
    window = timedelta(days=rt.policies.profile.ticket_window_days + 1)
    pages = tickets = 0
    restarted = False
    while True:
        with reading(rt.sessions) as session:
            row = ticket_index.state(session, rt.tenant_id)
            cursor = row.cursor if row is not None else None
        try:
            page = zendesk.export_tickets(cursor, None if cursor else rt.clock() - window)
        except PermanentError as exc:
            if not cursor or restarted or exc.status not in (400, 422):
                raise
            # A cursor Zendesk no longer takes (expired, or from another account): start again from
            # the window's start; rows are upserted, the index stays usable meanwhile.
            log.warning("ticket index cursor refused, pulling the window again tenant=%s: %s", rt.tenant_id, exc)
            with transaction(rt.sessions) as session:
                ticket_index.reset_cursor(session, rt.tenant_id)
            restarted = True
            continue
        with transaction(rt.sessions) as session:
            saved = ticket_index.save_page(session, rt.tenant_id, page, rt.clock())
            backfilled = saved.backfilled_at
        pages, tickets = pages + 1, tickets + len(page.tickets)
        if page.end_of_stream:
            break
    log.info("ticket index pulled tenant=%s pages=%s tickets=%s backfilled=%s",
             rt.tenant_id, pages, tickets, backfilled is not None)
    finish(rt, job)


def index_event_ticket(rt: CaseContext, ticket: TicketRecord) -> None:
    """A ticket a ``ticket.created`` event told of; its requester read once when unknown."""
    with transaction(rt.sessions) as session:
        known = ticket_index.record_event_ticket(session, rt.tenant_id, ticket)
        if not known and rt.zendesk is not None:
            enqueue(session, REQUESTER_KIND, 0, tenant_id=rt.tenant_id,
                    dedupe_key=f"{REQUESTER_KIND}:{rt.tenant_id}:{ticket.requester_id}")
    if not known:
        rt.notify()


def index_status_change(rt: CaseContext, ticket_id: int, status: str) -> None:
    with transaction(rt.sessions) as session:
        ticket_index.update_status(session, rt.tenant_id, ticket_id, status, rt.clock())


def lookup_requesters(rt: CaseContext, job: ClaimedJob) -> None:
    """``zendesk.index_requester``: the e-mails of the requesters events named that the index does
    not know yet (a few per job; the pull's side-loaded users would bring them later anyway)."""
    resolve_requesters(rt)
    finish(rt, job)


def resolve_requesters(rt: CaseContext) -> int:
    """Read the e-mail of each requester the index knows only by id (``GET /api/v2/users/{id}``,
    once per requester); returns how many were read."""
    with reading(rt.sessions) as session:
        unknown = session.scalars(select(IndexedTicket.requester_id).distinct().where(
            IndexedTicket.tenant_id == rt.tenant_id, IndexedTicket.requester_id.is_not(None),
            ~exists().where(IndexedRequester.tenant_id == rt.tenant_id,
                            IndexedRequester.user_id == IndexedTicket.requester_id))
            .limit(_LOOKUPS_PER_JOB)).all()
    zendesk = connected(rt.zendesk)
    for user_id in (int(u) for u in unknown if u is not None):
        try:
            email = zendesk.user_email(user_id)
        except PermanentError as exc:  # a deleted user: known as no one, never asked again
            log.warning("ticket index requester unreadable tenant=%s: %s", rt.tenant_id, exc)
            email = None
        try:
            with transaction(rt.sessions) as session:
                ticket_index.save_emails(session, rt.tenant_id, {user_id: email})
        except IntegrityError:  # another worker read the same requester at the same time
            pass
    return len(unknown)


def indexed_counts(rt: CaseContext, emails: list[str], days: int, now: datetime) -> dict[str, int] | None:
    """Each requester's tickets created in the last ``days`` from the index; None until the
    tenant's index is backfilled (the caller then searches). A requester an event named a moment
    ago, whose look-up job has not run yet, is read first: the count never misses their tickets."""
    with reading(rt.sessions) as session:
        if not ticket_index.is_backfilled(session, rt.tenant_id):
            return None
    try:
        resolve_requesters(rt)
    except SyncError as exc:  # the look-up job tries again; count what is known
        log.warning("ticket index requesters not read tenant=%s: %s", rt.tenant_id, exc)
    with reading(rt.sessions) as session:
        since = now - timedelta(days=days)
        return {email: ticket_index.recent_count(session, rt.tenant_id, email, since) for email in emails}
