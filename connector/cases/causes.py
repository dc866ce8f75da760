"""Root causes on a case: the agent confirms or changes the suggested cause, from the Zendesk
sidebar, the admin API or the ticket's "Recovery cause" drop-down; the other systems follow.

The suggestion is made at intake (``domain.causes.suggest``); Zendesk gets it as the ticket's tag
``cause_<key>`` (the drop-down's option) and HubSpot as ``recovery_cause`` with the first sync.
A recorded cause replaces it: ``zendesk.cause`` selects it in the drop-down (Zendesk swaps the
tags), ``hubspot.stage_update`` writes the contact again. A change that came from Zendesk is not
sent back to it; one that changes nothing enqueues nothing, so the event Zendesk sends for the
connector's own update ends there.
"""
import logging
from datetime import datetime

from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import connected, require_synced, row
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.store.db import transaction
from connector.store.models import Case

log = logging.getLogger(__name__)
ZENDESK_JOB = "zendesk.cause"
SOURCES = ("admin", "sidebar", "zendesk")


def record_cause(session: Session, case: Case, key: str, now: datetime, *, source: str) -> bool:
    """Keep the agent's cause (a key of the taxonomy, checked by the caller); True when the cause
    in force changed and the vendors were asked to follow."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    before = case.effective_cause
    case.cause, case.cause_confirmed_at, case.cause_source = key, now, source
    if before == key:
        log.info("cause confirmed case_id=%s cause=%s source=%s", case.id, key, source)
        return False
    stamp = now.isoformat()
    if source != "zendesk":
        enqueue(session, ZENDESK_JOB, case.id, tenant_id=case.tenant_id, dedupe_key=f"{ZENDESK_JOB}:{case.id}:{stamp}")
    enqueue(session, "hubspot.stage_update", case.id, tenant_id=case.tenant_id,
            dedupe_key=f"hubspot.stage_update:{case.id}:cause:{stamp}")
    # Not yet in a systemic issue: the new cause may make one (a member stays in its issue).
    enqueue(session, "systemic.check", case.id, tenant_id=case.tenant_id, dedupe_key=f"systemic.check:{case.id}:{stamp}")
    log.info("cause changed case_id=%s cause=%s previous=%s source=%s", case.id, key, before, source)
    return True


def zendesk_cause(rt: CaseContext, job: ClaimedJob) -> None:
    """The ticket's drop-down shows the cause in force now (a later change made this job's moot
    value current anyway: it reads the case, not the job)."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id = require_synced(case.zendesk_ticket_id, "Zendesk ticket")
        key = case.effective_cause
    if key is not None:
        connected(rt.zendesk).set_cause(ticket_id, key)
    finish(rt, job)

