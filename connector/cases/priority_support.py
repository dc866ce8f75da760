"""Priority support promised with a compensation, made real: a tag on the customer's Zendesk
user (the recovery ticket's requester) while it lasts, removed by the scheduler when it ends.

``grant`` runs inside the stage completion's transaction: it keeps one row per case with the
expiry (counted from the first record, so the same record submitted again changes nothing)
and enqueues the tagging job. The scan ``end_expired`` runs from every worker's loop like the
deadline scan; a conditional UPDATE makes one worker win each grant. Both jobs record their
effect in the case's ledger, so a retry or a replay never calls Zendesk twice for one tag.
"""
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import connected, require_synced, row
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.keys import ledger_scope, priority_support_tag, priority_tag_key, priority_untag_key
from connector.store.db import transaction
from connector.store.models import Case, PrioritySupport
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
GRANT, END = "zendesk.priority_support", "zendesk.priority_support_end"


def grant(session: Session, case: Case, record: Mapping[str, Any], now: datetime) -> None:
    """Keep the priority support ``record`` (a loaded compensation) grants, if any."""
    days = record.get("priority_support_days")
    if not days:
        return
    held = session.scalar(select(PrioritySupport).where(PrioritySupport.case_id == case.id))
    if held is None:
        held = PrioritySupport(tenant_id=case.tenant_id, case_id=case.id, granted_at=now, status="granting")
        session.add(held)
    held.expires_at = held.granted_at + timedelta(days=int(days))
    tag = priority_support_tag(held.expires_at.date())
    if tag == held.tag:
        return  # the same grant recorded again
    held.tag, held.status = tag, "granting"
    session.flush()
    enqueue(session, GRANT, case.id, tenant_id=case.tenant_id, dedupe_key=f"{GRANT}:{case.id}:{tag}")
    log.info("priority support granted case_id=%s days=%s", case.id, days)


def tag_requester(rt: CaseContext, job: ClaimedJob) -> None:
    """Add the grant's tag to the requester of the recovery ticket (and drop a superseded one)."""
    zendesk = connected(rt.zendesk)
    with transaction(rt.sessions) as session:
        ticket_id = require_synced(row(session, Case, job.ref_id).zendesk_ticket_id, "Zendesk ticket")
        held = _held(session, job.ref_id)
        tag, applied, user_id = held.tag, held.applied_tag, held.zendesk_user_id
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    if applied != tag:
        user_id = user_id or zendesk.requester_of(ticket_id)
        if not ledger.get(priority_tag_key(tag)):
            zendesk.add_user_tags(user_id, [tag])
            ledger.record(priority_tag_key(tag), str(user_id))
        if applied:
            _untag(zendesk, ledger, user_id, applied)
    with transaction(rt.sessions) as session:
        held = _held(session, job.ref_id)
        if held.tag == tag:  # a newer grant has its own job
            held.applied_tag, held.zendesk_user_id = tag, user_id
            held.status = "active" if held.status == "granting" else held.status
    finish(rt, job)


def end_expired(rt: CaseContext, now: datetime, limit: int = 500) -> int:
    """Hand every grant past its expiry to a job that removes its tag; how many were due."""
    with transaction(rt.sessions) as session:
        due = session.execute(select(PrioritySupport.id, PrioritySupport.case_id, PrioritySupport.tenant_id,
                                     PrioritySupport.tag).where(
            PrioritySupport.status == "active", PrioritySupport.expires_at <= now).limit(limit)).all()
        ended = 0
        for grant_id, case_id, tenant_id, tag in due:
            won = cast(CursorResult[Any], session.execute(update(PrioritySupport).where(
                PrioritySupport.id == grant_id, PrioritySupport.status == "active").values(status="ending"))).rowcount
            if won:  # else another worker got there first
                enqueue(session, END, case_id, tenant_id=tenant_id, dedupe_key=f"{END}:{case_id}:{tag}")
                ended += 1
    if ended:
        log.info("priority support expired grants=%s", ended)
        rt.notify()
    return ended


def untag_requester(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        held = _held(session, job.ref_id)
        # Re-granted (other days) since the scan: the new grant's job handles the old tag.
        ending, applied, user_id = held.status == "ending", held.applied_tag, held.zendesk_user_id
    if ending and applied and user_id:
        _untag(connected(rt.zendesk), DbLedger(rt.sessions, ledger_scope(job.ref_id)), user_id, applied)
    with transaction(rt.sessions) as session:
        held = _held(session, job.ref_id)
        if held.status == "ending":
            held.status, held.applied_tag = "ended", None
    finish(rt, job)


def _untag(zendesk: Any, ledger: DbLedger, user_id: int, tag: str) -> None:
    if not ledger.get(priority_untag_key(tag)):
        zendesk.remove_user_tags(user_id, [tag])
        ledger.record(priority_untag_key(tag), str(user_id))


def _held(session: Session, case_id: int) -> PrioritySupport:
    found = session.scalar(select(PrioritySupport).where(PrioritySupport.case_id == case_id))
    if found is None:
        raise LookupError(f"no priority support for case {case_id}")
    return found
