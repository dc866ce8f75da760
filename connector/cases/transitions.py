"""Changes of a case's state that several use cases make, inside the caller's transaction.

Intake opens and closes cases, the value lookup re-assesses them: each change and the jobs it
implies are written here once, and committed with the caller's data.
"""
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from connector.cases import priority_support
from connector.cases.shared import row
from connector.domain import routing, rules, signals
from connector.domain.outcome import REOPENING, outcome
from connector.domain.policies import Policies
from connector.jobs.queue import enqueue
from connector.store.models import Answer, Case, Stage
from connector.store.prepared import Prepared

log = logging.getLogger(__name__)


def assess_value(case: Case, answer: Answer, lifetime_value: float | None, policy: Policies) -> None:
    """Value tier, priority and owner follow the customer's value (payload or HubSpot); a churn
    risk (set from the profile before this runs) raises the priority one level."""
    case.lifetime_value = lifetime_value
    case.value_tier = rules.value_tier(lifetime_value, policy.rules)
    case.priority = rules.priority(case.severity, case.value_tier, policy.rules, churn_risk=bool(case.churn_risk))
    owner = routing.route(case.value_tier, excluded_agent_email=(answer.context or {}).get("agent_email"),
                          routing=policy.routing)
    case.owner, case.owner_name, case.hubspot_owner = owner.email, owner.name, owner.hubspot_owner
    case.zendesk_assignee_email, case.zendesk_group_id = owner.zendesk_assignee_email, owner.zendesk_group_id


SYNC_JOBS = ("zendesk.sync_case", "hubspot.sync_case")
SIGNAL_CHECK = "signals.answer"  # served by ``cases.signals.check_answer``


def watch_for_signals(session: Session, answer: Answer, policy: Policies) -> bool:
    """A watched contact's answer that is no detractor's may be a drop (a weak signal): the job
    compares it with their previous answer of the type. Detractors open cases, a louder alert."""
    tier = rules.value_tier(answer.lifetime_value, policy.rules)
    if answer.category == "detractor" or not signals.watched(tier, policy.signals):
        return False
    # A first answer has nothing to drop from: one indexed look-up here spares a campaign a job per answer.
    earlier = _EARLIER_OF_TYPE.first(session, {
        "tenant": answer.tenant_id, "email": answer.customer_email, "survey": answer.survey_type,
        "answer": answer.id, "submitted": answer.submitted_at})
    return earlier is not None and enqueue(session, SIGNAL_CHECK, answer.id, tenant_id=answer.tenant_id)


# Prepared once (``store.prepared``): it runs on a watched contact's every answer.
_EARLIER_OF_TYPE = Prepared(select(Answer.id).where(
    Answer.tenant_id == bindparam("tenant"), Answer.customer_email == bindparam("email"),
    Answer.survey_type == bindparam("survey"), Answer.id != bindparam("answer"),
    Answer.submitted_at < bindparam("submitted", type_=Answer.submitted_at.type)).limit(1))


def enqueue_sync(session: Session, case: Case) -> None:
    for kind in SYNC_JOBS:
        enqueue(session, kind, case.id, tenant_id=case.tenant_id)


def open_alerts(case: Case) -> tuple[str, ...]:
    """The alert jobs a newly opened case needs: the chat alert when it is critical."""
    return ("chat.new_case",) if case.severity == "critical" or case.value_tier == "critical" else ()


def alert_on_open(session: Session, case: Case) -> None:
    """Enqueue the alerts of a case whose value changed after it opened (same transaction)."""
    for kind in open_alerts(case):
        enqueue(session, kind, case.id, tenant_id=case.tenant_id)


def close_with_answer(session: Session, case: Case, answer: Answer, now: datetime) -> str:
    """Close the case with the outcome ``answer`` gives it. A ``partial`` or ``failed`` outcome
    means the caller opens a new, linked case, whose own sync writes the contact's state."""
    opening = row(session, Answer, case.opening_answer_id)
    result = outcome(opening.survey_type, opening.score, answer.survey_type, answer.score, answer.category)
    case.status, case.closed_at, case.outcome, case.closing_answer_id = "closed", now, result, answer.id
    enqueue(session, "zendesk.close_case", case.id, tenant_id=case.tenant_id)
    enqueue(session, "hubspot.rep_note", case.id, tenant_id=case.tenant_id)  # the rep learns the outcome
    if result not in REOPENING:
        enqueue(session, "hubspot.close_case", case.id, tenant_id=case.tenant_id)
    else:  # still a detractor: the owner is asked why (see cases.failure)
        enqueue(session, "hubspot.closing_task", case.id, tenant_id=case.tenant_id)
    log.info("case closed case_id=%s outcome=%s by answer_id=%s", case.id, result, answer.id)
    return result


def complete_stage(session: Session, case: Case, key: str, now: datetime, *, source: str, details: dict[str, Any] | None = None) -> bool:
    """Mark ``key`` done; True if it changed. Enqueues the other systems' updates.

    ``details`` (e.g. the compensation given) are kept even when the stage was
    already done elsewhere: the sidebar is where the amount is entered."""
    # Completions of one case are serialised: the done count below names the sync jobs.
    session.refresh(case, with_for_update=True)
    stage = next((s for s in case.stages if s.key == key), None)
    if stage is None:
        raise KeyError(key)
    if details:
        stage.details = {**(stage.details or {}), **details}
        priority_support.grant(session, case, details.get("compensation") or {}, now)
    if stage.status == "done":
        return False
    stage.status, stage.completed_at = "done", now
    session.flush()
    done = session.scalar(select(func.count()).select_from(Stage).where(
        Stage.case_id == case.id, Stage.status == "done"))
    # One job per state of the case: a repeat of the same completion adds nothing.
    for kind in ("zendesk.stage_update", "hubspot.stage_update"):
        enqueue(session, kind, case.id, tenant_id=case.tenant_id, dedupe_key=f"{kind}:{case.id}:{done}")
    log.info("stage done case_id=%s stage=%s source=%s", case.id, key, source)
    return True
