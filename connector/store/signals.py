"""The once-only rows of weak signals and weekly digests, and the ticket creations they count.

Each claim is a conditional insert in a savepoint: the unique key decides which worker wins,
the loser's insert fails and is rolled back alone, so its transaction goes on.
"""
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import transaction
from connector.store.models import DigestClaim, SignalAlert, TicketCreation


def _claim(session: Session, record: SignalAlert | DigestClaim) -> bool:
    try:
        with session.begin_nested():
            session.add(record)
        return True
    except IntegrityError:
        return False


def claim_signal(session: Session, tenant_id: str, email: str, signal: str, period: str, now: datetime,
                 owner: str | None, details: dict[str, Any]) -> int | None:
    """The new alert's id, or None when this signal of this contact was raised this period already."""
    alert = SignalAlert(tenant_id=tenant_id, customer_email=email, signal=signal, period=period,
                        raised_at=now, owner=owner, details=details)
    return alert.id if _claim(session, alert) else None


def claim_digest(session: Session, tenant_id: str, owner: str, week: str, now: datetime) -> int | None:
    """The digest's claim id, or None when this owner's digest of this week is claimed already."""
    claim = DigestClaim(tenant_id=tenant_id, owner=owner, week=week, claimed_at=now)
    return claim.id if _claim(session, claim) else None


def record_ticket(session: Session, tenant_id: str, ticket_id: int, requester_id: int,
                  created_at: datetime) -> int | None:
    """Store one ticket creation (a repeated event stores nothing); the new row's id."""
    creation = TicketCreation(tenant_id=tenant_id, ticket_id=ticket_id, requester_id=requester_id,
                              created_at=created_at)
    try:
        with session.begin_nested():
            session.add(creation)
        return creation.id
    except IntegrityError:
        return None


def tickets_since(session: Session, tenant_id: str, requester_id: int, since: datetime) -> int:
    return session.scalar(select(func.count(TicketCreation.id)).where(
        TicketCreation.tenant_id == tenant_id, TicketCreation.requester_id == requester_id,
        TicketCreation.created_at >= since)) or 0


def trim_tickets(sessions: sessionmaker[Session], before: datetime) -> int:
    """Forget ticket creations older than any window still counted; returns how many."""
    with transaction(sessions) as session:
        result = cast(CursorResult[Any], session.execute(delete(TicketCreation).where(
            TicketCreation.created_at < before)))
        return result.rowcount
