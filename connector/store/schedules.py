"""The cached Zendesk business-hours schedule of each tenant (table ``business_hours``).

Written by the periodic refresh (``connector.cases.business_hours``), read by intake inside the
webhook's transaction: a primary-key read, never a call to Zendesk.
"""
import logging
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from connector.domain.business_hours import Schedule, ScheduleSchema, as_cached
from connector.store.models import BusinessHours

log = logging.getLogger(__name__)


def cached_schedule(session: Session, tenant_id: str) -> Schedule | None:
    """The tenant's schedule as last fetched; None when never fetched or the account has none."""
    row = session.get(BusinessHours, tenant_id)
    if row is None or row.schedule is None:
        return None
    try:
        return ScheduleSchema().load(row.schedule)
    except ValidationError as exc:  # stored valid, refused by a later version: calendar hours
        log.error("cached business hours no longer valid tenant=%s fields=%s", tenant_id, sorted(exc.messages))
        return None


def fetched_at(session: Session, tenant_id: str) -> datetime | None:
    row = session.get(BusinessHours, tenant_id)
    return row.fetched_at if row is not None else None


def save_schedule(session: Session, tenant_id: str, schedule: Schedule | None, now: datetime) -> None:
    """Keep what Zendesk said now (None: the account has no schedule, calls stay on calendar hours)."""
    row = session.get(BusinessHours, tenant_id, with_for_update=True)
    if row is None:
        row = BusinessHours(tenant_id=tenant_id)
        session.add(row)
    row.schedule = as_cached(schedule) if schedule is not None else None
    row.fetched_at = now
