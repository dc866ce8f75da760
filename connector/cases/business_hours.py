"""Refresh each tenant's cached Zendesk business-hours schedule (the call stages follow it when
``CALLS_ON_BUSINESS_HOURS`` is on; see ``domain.business_hours``).

A periodic task of every worker: it asks Zendesk only for a tenant whose copy is older than
``BUSINESS_HOURS_REFRESH_SECONDS`` and whose ``CALLS_ON_BUSINESS_HOURS`` is on (its own
setting, else the deployment's), outside any transaction; intake reads the copy, never Zendesk.
A failure keeps the copy: a temporary one is tried again at the next scan, a permanent one (no
permission, a schedule this version cannot read) after the refresh interval.
"""
import logging
from datetime import datetime, timedelta

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.config import is_on
from connector.domain.business_hours import ScheduleSchema
from connector.installs import DEFAULT_TENANT
from connector.ports.errors import PermanentError, RetryableError
from connector.store.db import reading, transaction
from connector.store.schedules import cached_schedule, fetched_at, save_schedule
from connector.store.tenancy import Installation

log = logging.getLogger(__name__)


def _tenants(rt: CaseContext) -> list[str]:
    with reading(rt.sessions) as session:
        installed = session.scalars(select(Installation.tenant_id).where(Installation.vendor == "zendesk")).all()
    return [DEFAULT_TENANT, *sorted(set(installed) - {DEFAULT_TENANT})]


def calls_on_business_hours(rt: CaseContext, tenant_id: str) -> bool:
    """The tenant's own ``CALLS_ON_BUSINESS_HOURS`` (a tenant setting), else the deployment's."""
    directory = getattr(rt, "directory", None)
    if tenant_id == DEFAULT_TENANT or directory is None:
        return is_on(rt.config.get("CALLS_ON_BUSINESS_HOURS"))
    return is_on((directory.settings(tenant_id) or {}).get("CALLS_ON_BUSINESS_HOURS"))


def refresh_schedules(rt: CaseContext, now: datetime) -> int:
    """Fetch the stale schedules of the tenants that turned the setting on; returns how many
    tenants' copies were written."""
    every = timedelta(seconds=float(rt.config.get("BUSINESS_HOURS_REFRESH_SECONDS", 3600)))
    written = 0
    for tenant_id in _tenants(rt):
        if not calls_on_business_hours(rt, tenant_id):
            continue
        with reading(rt.sessions) as session:
            last = fetched_at(session, tenant_id)
        if last is not None and now - last < every:
            continue
        zendesk = rt.for_tenant(tenant_id).zendesk
        if zendesk is None:
            continue
        try:
            raw = zendesk.business_hours_schedule()
            schedule = ScheduleSchema().load(raw) if raw is not None else None
        except RetryableError as exc:
            log.warning("business hours not fetched, next scan tries again tenant=%s error=%s", tenant_id, exc)
            continue
        except (PermanentError, ValidationError) as exc:
            detail = sorted(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            log.error("business hours refused, copy kept tenant=%s error=%s", tenant_id, detail)
            with transaction(rt.sessions) as session:
                _touch(session, tenant_id, now)
            continue
        with transaction(rt.sessions) as session:
            save_schedule(session, tenant_id, schedule, now)
        log.info("business hours cached tenant=%s schedule=%s", tenant_id, "set" if schedule else "none")
        written += 1
    return written


def _touch(session: Session, tenant_id: str, now: datetime) -> None:
    """Wait the refresh interval before asking again, keeping the schedule last read."""
    save_schedule(session, tenant_id, cached_schedule(session, tenant_id), now)
