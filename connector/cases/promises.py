"""Promises of the action plan, inside the caller's transaction: recorded with the stage (or
later), kept, read back; shared by the web edge and the promise handlers (``promise_sync``,
``promise_deadlines``) as ``transitions`` is by the others.

Each effect is a job per submission (``<kind>:<case>:<first promise>``); the handlers bring every
promise of the case up to date from the ledger, so two jobs of one case, or a retry, create
nothing twice. The same promise submitted twice (same what, who and date) is one row.
"""
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.cases.shared import row
from connector.domain import policies
from connector.domain.promises import PromiseInput, fingerprint
from connector.jobs.queue import enqueue
from connector.ports.snapshots import PromiseSnapshot
from connector.store.models import Answer, Case, Promise

log = logging.getLogger(__name__)
SYNC_KINDS = ("hubspot.promise_tasks", "zendesk.promise_note")


def snapshot(promise: Promise) -> PromiseSnapshot:
    return PromiseSnapshot(promise.id, promise.what, promise.who, promise.due_at, promise.status)


def of_case(session: Session, case_id: int) -> list[Promise]:
    return list(session.scalars(select(Promise).where(Promise.case_id == case_id).order_by(Promise.due_at,
                                                                                          Promise.id)))


def chronic_plan_unowned(session: Session, case: Case, key: str) -> bool:
    """True when completing ``key`` would close a chronic case's action plan with no promise: the
    protocol asks a chronic case for a demonstrable structural change, so a named owner and a date."""
    return key == "action" and case.profile == "chronic" and not of_case(session, case.id)


def record(session: Session, case: Case, items: Sequence[PromiseInput], now: datetime, *,
           source: str) -> list[Promise]:
    """Add the promises not already on the case (inside the caller's transaction); return the new ones."""
    session.refresh(case, with_for_update=True)  # one submission at a time per case: no twin rows
    known = {p.fingerprint for p in of_case(session, case.id)}
    added = []
    for item in items:
        mark = fingerprint(item["what"], item["who"], item["by"])
        if mark in known:
            continue
        known.add(mark)
        promise = Promise(case_id=case.id, what=item["what"], who=item["who"], due_at=item["by"],
                          status="pending", fingerprint=mark, created_at=now, source=source)
        session.add(promise)
        added.append(promise)
    session.flush()
    if added:
        # One job per submission and kind (named by its first promise): the handler serves every
        # promise of the case, and one job, not two racing ones, writes the submission's note.
        for kind in SYNC_KINDS:
            enqueue(session, kind, case.id, tenant_id=case.tenant_id, dedupe_key=f"{kind}:{case.id}:{added[0].id}")
        log.info("promises recorded case_id=%s count=%d source=%s", case.id, len(added), source)
    return added


def keep(session: Session, case: Case, promise_id: int, now: datetime) -> Promise | None:
    """Mark a promise kept (an overdue one too: kept late is still kept); None if not this case's."""
    promise = session.get(Promise, promise_id, with_for_update=True)
    if promise is None or promise.case_id != case.id:
        return None
    if promise.status != "kept":
        promise.status, promise.kept_at = "kept", now
        enqueue(session, "hubspot.promise_tasks", case.id, tenant_id=case.tenant_id,
                dedupe_key=f"hubspot.promise_tasks:{case.id}:{promise.id}:kept")
        log.info("promise kept case_id=%s promise_id=%s", case.id, promise.id)
    return promise


def confirmation(rt_policies: policies.Policies, session: Session, case: Case) -> str | None:
    """The written confirmation for the customer, in their language; None without promises."""
    opening = row(session, Answer, case.opening_answer_id)
    return policies.confirmation(opening.locale, opening.customer_name, case.owner_name or case.owner,
                                 [(p.what, p.who, p.due_at) for p in of_case(session, case.id)], rt_policies)
