"""The local ticket-history index of each tenant (tables ``ticket_index``, ``ticket_index_users``,
``ticket_index_state``; issue 16, item 1).

Written by the export job (a page per transaction, with the cursor it ends at) and by ticket
events; read by the profile refinement: "tickets from this requester in the last 90 days" is one
indexed count by ``created_at``, exact and consistent, where the search API lags and costs a call.
"""
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.ports.ticket_history import TicketPage, TicketRecord
from connector.store.models import IndexedRequester, IndexedTicket, TicketIndexState

DELETED = "deleted"  # the export lists deleted tickets too: kept out of the counts, as search does
STATUSES = frozenset({"new", "open", "pending", "hold", "solved", "closed", DELETED})
_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


def state(session: Session, tenant_id: str) -> TicketIndexState | None:
    return session.get(TicketIndexState, tenant_id)


def is_backfilled(session: Session, tenant_id: str) -> bool:
    row = state(session, tenant_id)
    return row is not None and row.backfilled_at is not None


def _apply(row: IndexedTicket, ticket: TicketRecord) -> None:
    row.requester_id = ticket.requester_id if ticket.requester_id is not None else row.requester_id
    row.created_at = ticket.created_at
    # An event may arrive after a later export of the same ticket: the newer facts win.
    if ticket.updated_at is not None and (row.updated_at is None or ticket.updated_at >= row.updated_at):
        status = ticket.status if ticket.status in STATUSES else None
        row.updated_at, row.status = ticket.updated_at, status or row.status


def _existing(session: Session, model: type[IndexedTicket] | type[IndexedRequester], tenant_id: str,
              ids: list[int]) -> dict[int, IndexedTicket | IndexedRequester]:
    key = IndexedTicket.ticket_id if model is IndexedTicket else IndexedRequester.user_id
    found: dict[int, IndexedTicket | IndexedRequester] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.scalars(select(model).where(model.tenant_id == tenant_id,
                                                   key.in_(ids[start:start + _CHUNK])))
        found.update({r.ticket_id if isinstance(r, IndexedTicket) else r.user_id: r for r in rows})
    return found


def save_tickets(session: Session, tenant_id: str, tickets: Iterable[TicketRecord]) -> int:
    """Insert or refresh tickets (one query per 500 ids to find the known ones); returns how many."""
    latest = {t.ticket_id: t for t in tickets}
    known = _existing(session, IndexedTicket, tenant_id, sorted(latest))
    for ticket_id, ticket in latest.items():
        row = known.get(ticket_id)
        if row is None:
            row = IndexedTicket(tenant_id=tenant_id, ticket_id=ticket_id, created_at=ticket.created_at)
            session.add(row)
        assert isinstance(row, IndexedTicket)
        _apply(row, ticket)
    return len(latest)


def save_emails(session: Session, tenant_id: str, emails: dict[int, str | None]) -> None:
    known = _existing(session, IndexedRequester, tenant_id, sorted(emails))
    for user_id, email in emails.items():
        row = known.get(user_id)
        if row is None:
            row = IndexedRequester(tenant_id=tenant_id, user_id=user_id)
            session.add(row)
        assert isinstance(row, IndexedRequester)
        row.email = email.lower() if email else None


def save_page(session: Session, tenant_id: str, page: TicketPage, now: datetime) -> TicketIndexState:
    """One export page and the cursor after it, in the caller's transaction: a crash re-reads the
    page, never skips it. The first end of the stream makes the index the history's source."""
    save_emails(session, tenant_id, page.emails)
    save_tickets(session, tenant_id, page.tickets)
    row = state(session, tenant_id)
    if row is None:
        row = TicketIndexState(tenant_id=tenant_id)
        session.add(row)
    row.cursor = page.after_cursor or row.cursor
    row.pulled_at = now
    if page.end_of_stream and row.backfilled_at is None:
        row.backfilled_at = now
    return row


def record_event_ticket(session: Session, tenant_id: str, ticket: TicketRecord) -> bool:
    """A ticket an event told of, in its own savepoint (the export may write the same row at the
    same time: the loser refreshes the winner's row). True when its requester's e-mail is known."""
    try:
        with session.begin_nested():
            save_tickets(session, tenant_id, [ticket])
    except IntegrityError:
        save_tickets(session, tenant_id, [ticket])
    if ticket.requester_id is None:
        return True
    return session.get(IndexedRequester, (tenant_id, ticket.requester_id)) is not None


def update_status(session: Session, tenant_id: str, ticket_id: int, status: str, now: datetime) -> None:
    """A status change event on a ticket already indexed (an unknown one waits for the pull)."""
    row = session.get(IndexedTicket, (tenant_id, ticket_id))
    if row is not None and status.lower() in STATUSES:  # anything else is no Zendesk status: ignored
        row.status, row.updated_at = status.lower(), now


def recent_count(session: Session, tenant_id: str, email: str, since: datetime) -> int:
    """Tickets the requester (every Zendesk user with this e-mail) created since ``since``."""
    users = select(IndexedRequester.user_id).where(IndexedRequester.tenant_id == tenant_id,
                                                   IndexedRequester.email == email.lower())
    return session.scalar(select(func.count()).select_from(IndexedTicket).where(
        IndexedTicket.tenant_id == tenant_id, IndexedTicket.requester_id.in_(users),
        IndexedTicket.created_at >= since,
        func.coalesce(IndexedTicket.status, "") != DELETED)) or 0


def forget(session: Session, tenant_id: str) -> None:
    """Drop a tenant's index (its Zendesk account disconnected or replaced)."""
    for model in (IndexedTicket, IndexedRequester, TicketIndexState):
        session.execute(delete(model).where(model.tenant_id == tenant_id))


def known_email(session: Session, tenant_id: str, user_id: int) -> tuple[bool, str | None]:
    """(whether the index knows this user, their e-mail): a known user with none is (True, None)."""
    row = session.get(IndexedRequester, (tenant_id, user_id))
    return (row is not None, row.email if row is not None else None)


def reset_cursor(session: Session, tenant_id: str) -> None:
    row = state(session, tenant_id)
    if row is not None:
        row.cursor = None


def forget_emails(session: Session, tenant_id: str, emails: Iterable[str]) -> None:
    """Privacy erasure: the requesters' e-mails leave the index (their tickets' ids and dates stay,
    naming no one; a later export may bring the e-mail back only while Zendesk still holds it)."""
    lowered = [e.lower() for e in emails]
    session.execute(update(IndexedRequester).where(IndexedRequester.tenant_id == tenant_id,
                                                   IndexedRequester.email.in_(lowered or [""])).values(email=None))
