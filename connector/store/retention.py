"""The delivery log keeps ``RECOVERY_DELIVERY_LOG_RETENTION_DAYS`` (default 30) of history.

Connect links past their hour are deleted with it (a used or expired link opens nothing).
Trimmed in batches of a thousand rows, one short transaction each, so the periodic job never
holds SQLite's write lock long enough to delay a webhook."""
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import transaction
from connector.store.models import Delivery
from connector.store.tenancy import ConnectLink

DEFAULT_DAYS = 30
BATCH = 1000


def trim_deliveries(sessions: sessionmaker[Session], now: datetime, days: float = DEFAULT_DAYS) -> int:
    """Delete deliveries received more than ``days`` before ``now``; returns how many."""
    cutoff, removed = now - timedelta(days=days), 0
    while True:
        with transaction(sessions) as session:
            ids = session.scalars(select(Delivery.id).where(Delivery.received_at < cutoff).limit(BATCH)).all()
            if ids:
                session.execute(delete(Delivery).where(Delivery.id.in_(ids)))
        removed += len(ids)
        if len(ids) < BATCH:
            return removed


def trim_connect_links(sessions: sessionmaker[Session], now: datetime) -> int:
    """Delete connect links that expired a day ago or more (kept a day for the operator to see)."""
    with transaction(sessions) as session:
        return session.execute(delete(ConnectLink).where(ConnectLink.expires_at < now - timedelta(days=1))).rowcount
