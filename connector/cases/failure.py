"""Failure analysis: a case closed ``partial`` or ``failed`` asks its owner why, and keeps the answer.

On closing, ``transitions.close_with_answer`` enqueues ``hubspot.closing_task``: a HubSpot task
for the case's owner, due a few days later (``mappings/failure.json``), naming the case; the
Zendesk outcome note asks the same. The owner records the reason through the admin API or the
Zendesk sidebar (``record_failure_reason``), which completes that task; the metrics report counts
the reasons, and the cases still without one.
"""
import logging
from datetime import datetime

from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, require_synced, row
from connector.domain import failure
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.keys import ledger_scope
from connector.ports.snapshots import CaseSnapshot, OwnerTask
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
CLOSING_TASK_JOB = "hubspot.closing_task"


class NotAFailedCase(ValueError):
    """Only a case closed ``partial`` or ``failed`` has a failure reason."""


def _customer(snapshot: CaseSnapshot) -> str:
    return snapshot.answer.customer_name or snapshot.answer.company or "customer"


def closing_task(case: Case, snapshot: CaseSnapshot, rules: failure.FailureRules) -> OwnerTask:
    if case.closed_at is None or case.outcome is None:
        raise NotAFailedCase(f"case {case.id} is not closed")
    def text(template: str) -> str:
        return failure.closing_text(template, case_id=case.id, customer=_customer(snapshot),
                                    outcome=str(case.outcome), reasons=tuple(rules.reasons))
    return OwnerTask(subject=text(rules.subject), body=text(rules.body),
                     due_at=failure.closing_task_due(case.closed_at, rules),
                     done=case.failure_reason is not None)


def hubspot_closing_task(rt: CaseContext, job: ClaimedJob) -> None:
    """Create the closing task (once), already completed when the reason came first; complete it
    when the reason is recorded later (the job runs again then, under another dedupe key)."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        contact_id = require_synced(case.hubspot_contact_id, "HubSpot contact")
        snapshot = case_snapshot_for(rt, session, case)
        task = closing_task(case, snapshot, rt.policies.failure)
    hubspot = connected(rt.hubspot)
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    task_id = hubspot.create_closing_task(snapshot, contact_id, task, ledger, first_attempt=job.fresh)
    if task.done:
        hubspot.complete_task(task_id)
    finish(rt, job)


def record_failure_reason(session: Session, case: Case, recorded: failure.FailureReason, now: datetime, *,
                          source: str) -> None:
    """Keep the owner's reason on the case (a correction replaces it) and complete the closing task."""
    if case.status != "closed" or not failure.asks_for_reason(case.outcome):
        raise NotAFailedCase(f"case {case.id} did not close partial or failed")
    first = case.failure_reason is None
    case.failure_reason, case.failure_note, case.failure_recorded_at = recorded["reason"], recorded["note"], now
    if first:
        enqueue(session, CLOSING_TASK_JOB, case.id, tenant_id=case.tenant_id,
                dedupe_key=f"{CLOSING_TASK_JOB}:{case.id}:reason")
    log.info("failure reason recorded case_id=%s reason=%s source=%s", case.id, recorded["reason"], source)
