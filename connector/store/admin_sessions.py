"""Dashboard sign-ins, kept server side so that logging out really ends one.

The dashboard cookie is signed, but a signed cookie stays valid until it expires
whatever the browser is told: a copy taken before "Log out" would still work. So each
sign-in is a row, the cookie names it, and every dashboard request checks the row is
live; logging out ends it for every copy of the cookie. The row keeps only a SHA-256 of
the session id: a copy of the database opens no session.
"""
import hashlib
from datetime import datetime, timedelta

from sqlalchemy import String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from connector.store.base import Base, UTCDateTime


class AdminSession(Base):
    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(db: Session, session_id: str, now: datetime, ttl_seconds: int) -> None:
    db.execute(delete(AdminSession).where(AdminSession.expires_at < now))  # expired sign-ins go as new ones come
    db.add(AdminSession(id_hash=_hash(session_id), started_at=now, expires_at=now + timedelta(seconds=ttl_seconds)))


def is_live(db: Session, session_id: str, now: datetime) -> bool:
    row = db.scalar(select(AdminSession).where(AdminSession.id_hash == _hash(session_id)))
    return row is not None and row.ended_at is None and row.expires_at > now


def end(db: Session, session_id: str, now: datetime) -> None:
    db.execute(update(AdminSession).where(AdminSession.id_hash == _hash(session_id)).values(ended_at=now))
