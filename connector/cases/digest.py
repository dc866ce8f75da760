"""The weekly digest: once a week each owner gets one summary of their sensitive accounts.

An owner is anyone the connector assigns work to: the recovery owner of an open case, the owner a
weak signal went to. From the configured weekday and hour (UTC, ``mappings/signals.json``) to the
end of the ISO week, every worker's scan tries to claim each owner's digest of the week with a
conditional insert (``digest_claims``, unique per tenant, owner and week): exactly one wins, and
its claim becomes two jobs, a HubSpot task assigned to the owner and a message in the team chat,
each recorded in its own ledger so a retry does not repeat it. The summary is read when the job
runs: open cases (next stage, overdue stages) and the weak signals of the last seven days.
"""
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import connected, row
from connector.domain import routing, signals
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.providers.chat.account_messages import (
    DigestCase,
    DigestSignal,
    digest_subject,
    digest_text,
)
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, DigestClaim, SignalAlert, Stage
from connector.store.signals import claim_digest
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
HUBSPOT_TASK = "hubspot.digest"
CHAT = "chat.digest"
KINDS = (HUBSPOT_TASK, CHAT)
LOOKBACK = timedelta(days=7)


def _owners(session: Session, since: datetime) -> set[tuple[str, str]]:
    """(tenant, owner) of every open case and of every weak signal raised since ``since``."""
    of_cases = session.execute(select(Case.tenant_id, Case.owner).where(
        Case.status == "open", Case.owner.is_not(None)).distinct()).all()
    of_signals = session.execute(select(SignalAlert.tenant_id, SignalAlert.owner).where(
        SignalAlert.raised_at >= since, SignalAlert.owner.is_not(None)).distinct()).all()
    return {(tenant, owner) for tenant, owner in [*of_cases, *of_signals] if owner}


def claim_due(rt: CaseContext, now: datetime) -> int:
    """Claim this week's digest of every owner not yet served; answer how many this worker won."""
    if not signals.digest_due(now, rt.policies.signals):
        return 0
    week, won = signals.iso_week(now), 0
    with transaction(rt.sessions) as session:
        already = set(session.execute(select(DigestClaim.tenant_id, DigestClaim.owner).where(
            DigestClaim.week == week)).all())
        for tenant_id, owner in sorted(_owners(session, now - LOOKBACK) - already):
            claim_id = claim_digest(session, tenant_id, owner, week, now)
            if claim_id is None:
                continue  # another worker claimed it first
            for kind in KINDS:
                enqueue(session, kind, claim_id, tenant_id=tenant_id)
            won += 1
    if won:
        log.info("weekly digests claimed week=%s owners=%s", week, won)
        rt.notify()
    return won


def _cases(session: Session, tenant_id: str, owner: str, now: datetime) -> list[DigestCase]:
    cases = session.scalars(select(Case).where(Case.tenant_id == tenant_id, Case.owner == owner,
                                               Case.status == "open").order_by(Case.id)).all()
    found = []
    for case in cases:
        answer = session.get(Answer, case.opening_answer_id)
        ahead = [s for s in case.stages if s.status != "done"]
        overdue = session.scalar(select(func.count(Stage.id)).where(
            Stage.case_id == case.id, Stage.status != "done", Stage.due_at < now)) or 0
        found.append(DigestCase(case.id, answer.customer_name if answer else None, answer.company if answer else None,
                                case.score, case.priority, ahead[0].key if ahead else None,
                                ahead[0].due_at if ahead else None, overdue))
    return found


def _signals(session: Session, tenant_id: str, owner: str, since: datetime) -> list[DigestSignal]:
    alerts = session.scalars(select(SignalAlert).where(SignalAlert.tenant_id == tenant_id, SignalAlert.owner == owner,
                                                       SignalAlert.raised_at >= since).order_by(SignalAlert.id)).all()
    found = []
    for alert in alerts:
        answer = session.get(Answer, (alert.details or {}).get("answer_id"))
        found.append(DigestSignal(alert.signal, answer.customer_name if answer else None,
                                  answer.company if answer else None, alert.raised_at))
    return found


def _digest(rt: CaseContext, claim_id: int) -> tuple[str, str, str]:
    """(owner, subject, text) of a claimed digest."""
    with reading(rt.sessions) as session:
        claim = row(session, DigestClaim, claim_id)
        now = rt.clock()
        text = digest_text(claim.owner, claim.week, _cases(session, claim.tenant_id, claim.owner, now),
                           _signals(session, claim.tenant_id, claim.owner, claim.claimed_at - LOOKBACK))
        return claim.owner, digest_subject(claim.owner, claim.week), text


def hubspot_digest(rt: CaseContext, job: ClaimedJob) -> None:
    effects = DbLedger(rt.sessions, f"digest:{job.ref_id}")
    if not effects.get(HUBSPOT_TASK):
        owner, subject, text = _digest(rt, job.ref_id)
        task_id = connected(rt.hubspot).create_owner_task(routing.hubspot_owner_of(owner, rt.policies.routing),
                                                          subject, text, f"recovery-digest-{job.ref_id}",
                                                          rt.clock() + timedelta(days=1))
        effects.record(HUBSPOT_TASK, task_id)
    finish(rt, job)


def chat_digest(rt: CaseContext, job: ClaimedJob) -> None:
    effects = DbLedger(rt.sessions, f"digest:{job.ref_id}")
    if not effects.get(CHAT):
        connected(rt.chat).post(_digest(rt, job.ref_id)[2])
        effects.record(CHAT, "posted")
    finish(rt, job)
