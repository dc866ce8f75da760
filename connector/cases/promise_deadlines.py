"""Overdue promises escalate the way overdue stages do, once per promise.

The scan runs beside the stage scan (``catalog``): a promise of an open case past its
date and neither kept nor already overdue is flagged by a conditional UPDATE, so exactly
one worker wins it; the case's priority goes up one level and the effects are jobs per
promise: the Zendesk priority with a note to the owner, the contact's priority in HubSpot
(the stage escalation's handler), an alert in the team chat.
"""
import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from connector.cases.context import CaseContext
from connector.cases.promises import of_case, snapshot
from connector.cases.shared import case_snapshot_for, connected, require_synced, row
from connector.domain.outcome import escalate
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.keys import CHAT_PROMISE_OVERDUE, ZENDESK_PROMISE_OVERDUE, ledger_scope, promise_key
from connector.ports.snapshots import CaseSnapshot, PromiseSnapshot
from connector.providers.chat import messages
from connector.store.db import transaction
from connector.store.models import Case, Promise
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
EFFECTS = ("zendesk.promise_overdue", "hubspot.escalate", "chat.promise_overdue")


def mark_overdue_promises(rt: CaseContext, now: datetime, limit: int = 500) -> int:
    """Flag promises whose date has passed unkept; return how many were newly overdue."""
    with transaction(rt.sessions) as session:
        due = session.execute(select(Promise.id, Promise.case_id).join(Case, Case.id == Promise.case_id).where(
            Case.status == "open", Promise.status == "pending", Promise.due_at <= now).limit(limit)).all()
        flagged = 0
        for promise_id, case_id in due:
            won = cast(CursorResult[Any], session.execute(update(Promise).where(
                Promise.id == promise_id, Promise.status == "pending").values(status="overdue"))).rowcount
            if not won:
                continue  # another worker got there first
            case = row(session, Case, case_id, lock=True)
            case.base_priority = case.base_priority or case.priority
            case.priority = escalate(case.priority)
            case.escalations = (case.escalations or 0) + 1
            for kind in EFFECTS:
                enqueue(session, kind, case_id, tenant_id=case.tenant_id,
                        dedupe_key=f"{kind}:{case_id}:promise_{promise_id}")
            log.info("promise overdue case_id=%s promise_id=%s priority=%s", case_id, promise_id, case.priority)
            flagged += 1
    if flagged:
        rt.notify()
    return flagged


def _late(rt: CaseContext, job: ClaimedJob, prefix: str) -> tuple[CaseSnapshot, DbLedger, list[PromiseSnapshot]]:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        view = case_snapshot_for(rt, session, case)
        promises = [snapshot(p) for p in of_case(session, case.id)]
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    return view, ledger, [p for p in promises if p.status == "overdue"
                          and not ledger.get(promise_key(prefix, p.promise_id))]


def zendesk_promise_escalate(rt: CaseContext, job: ClaimedJob) -> None:
    view, ledger, late = _late(rt, job, ZENDESK_PROMISE_OVERDUE)
    ticket_id = require_synced(view.zendesk_ticket_id, "Zendesk ticket")
    note = "\n".join(f"Overdue promise: {p.what} — {p.who} — was due {p.due_at:%Y-%m-%d %H:%M} UTC. "
                     f"Owner: {view.owner or 'unassigned'}. Priority raised to {view.priority}." for p in late)
    connected(rt.zendesk).update_ticket(ticket_id, priority=view.priority, note=note or None)
    for promise in late:
        ledger.record(promise_key(ZENDESK_PROMISE_OVERDUE, promise.promise_id), str(ticket_id))
    finish(rt, job)


def chat_promise_overdue(rt: CaseContext, job: ClaimedJob) -> None:
    view, ledger, late = _late(rt, job, CHAT_PROMISE_OVERDUE)
    for promise in late:
        connected(rt.chat).post(messages.promise_overdue(view, promise))
        ledger.record(promise_key(CHAT_PROMISE_OVERDUE, promise.promise_id), "posted")
    finish(rt, job)
