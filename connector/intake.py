"""Intake: one validated answer becomes stored rows and jobs, in one transaction.

This is where "accepted" is decided: the answer, its case, the case's stages
and the sync jobs are committed together before the webhook answers 2xx, so a
crash after the 2xx loses nothing and a crash before it leaves nothing behind.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector.domain import profile, react, routing, rules
from connector.domain.policies import Policies
from connector.jobs.queue import enqueue
from connector.protocol.alerts import alert_on_open
from connector.protocol.outcome import close_with_answer
from connector.store.db import transaction
from connector.store.models import Answer, Case, Stage
from connector.store.snapshots import earlier_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    status: int  # 202 accepted now, 200 seen before
    body: dict


def _existing(session, tenant_id: str, response_id: str) -> Answer | None:
    return session.scalar(select(Answer).where(
        Answer.tenant_id == tenant_id, Answer.response_id == response_id))


def _customer_cases(session, answer: Answer) -> list[Case]:
    return session.scalars(select(Case).where(
        Case.tenant_id == answer.tenant_id, Case.customer_email == answer.customer_email)
        .order_by(Case.id.desc())).all()


def _close_open_case(session, answer: Answer, cases: list[Case], reopens: bool, now) -> None:
    """A later answer from the customer ends their open case (an older one arriving late does not)."""
    case = next((c for c in cases if c.status == "open"), None)
    if case is None:
        return
    opening = session.get(Answer, case.opening_answer_id)
    if answer.submitted_at > opening.submitted_at:
        close_with_answer(session, case, answer, now, reopened=reopens)


def assess_value(case: Case, answer: Answer, lifetime_value: float | None, policy: Policies) -> None:
    """Value tier, priority and owner follow the customer's value (payload or HubSpot)."""
    case.lifetime_value = lifetime_value
    case.value_tier = rules.value_tier(lifetime_value, policy.rules)
    case.priority = rules.priority(case.severity, case.value_tier, policy.rules)
    owner = routing.route(case.value_tier, excluded_agent_email=(answer.context or {}).get("agent_email"),
                          routing=policy.routing)
    case.owner, case.owner_name, case.hubspot_owner = owner.email, owner.name, owner.hubspot_owner
    case.zendesk_assignee_email, case.zendesk_group_id = owner.zendesk_assignee_email, owner.zendesk_group_id


def _open_case(session, answer: Answer, classification, policy: Policies, now) -> Case:
    # Zendesk ticket history is not known yet: the worker refines the profile with it.
    found = profile.classify_profile(answer.comment, answer.locale, recent_ticket_count=None,
                                     earlier_scores=earlier_scores(session, answer), rules=policy.profile)
    case = Case(
        tenant_id=answer.tenant_id, status="open", customer_email=answer.customer_email,
        opening_answer_id=answer.id, score=answer.score, category=answer.category,
        severity=classification.severity, opened_at=now, escalations=0,
        profile=found.profile, profile_signals=list(found.signals))
    assess_value(case, answer, answer.lifetime_value, policy)
    case.stages = [Stage(key=stage.key, due_at=due, status="pending")
                   for stage, due in react.plan(answer.submitted_at)]
    session.add(case)
    session.flush()
    return case


def enqueue_sync(session, case: Case) -> None:
    for kind in ("zendesk.sync_case", "hubspot.sync_case"):
        enqueue(session, kind, case.id, tenant_id=case.tenant_id)


def accept(sessions, policy: Policies, data: dict, *, source: str, now, tenant_id: str = "default") -> IntakeResult:
    """Store a validated answer (see inbound.schemas) idempotently on response_id."""
    try:
        with transaction(sessions) as session:
            seen = _existing(session, tenant_id, data["response_id"])
            if seen is not None:
                return IntakeResult(200, seen.answer_body)
            customer, survey = data["customer"], data["survey"]
            classification = rules.classify(survey["type"], data["score"], customer["vip"], policy.rules)
            answer = Answer(
                tenant_id=tenant_id, response_id=data["response_id"], source=source,
                survey_type=survey["type"], survey_id=survey.get("id"), survey_name=survey.get("name"),
                score=data["score"], category=classification.category, comment=data.get("comment"),
                locale=data.get("locale"), customer_email=customer["email"].lower(),
                customer_name=customer.get("name"), company=customer.get("company"),
                lifetime_value=customer.get("lifetime_value"), vip=customer["vip"],
                context=data.get("context") or {}, submitted_at=data["submitted_at"], received_at=now,
                answer_body={})
            session.add(answer)
            session.flush()
            case_id = None
            earlier = _customer_cases(session, answer)
            _close_open_case(session, answer, earlier, classification.opens_case, now)
            if classification.opens_case:
                case = _open_case(session, answer, classification, policy, now)
                case.previous_case_id = earlier[0].id if earlier else None
                alert_on_open(session, case)
                answer.case_id = case_id = case.id
                if answer.lifetime_value is None and policy.rules.get("lifetime_value_from_hubspot"):
                    # Look the value up first: priority and owner must be right from the first call.
                    enqueue(session, "hubspot.lifetime_value", case.id, tenant_id=tenant_id)
                else:
                    enqueue_sync(session, case)
            else:
                enqueue(session, "hubspot.sync_answer", answer.id, tenant_id=tenant_id)
            answer.answer_body = {"response_id": answer.response_id, "case_id": case_id}
            body = dict(answer.answer_body)
        log.info("answer accepted answer_id=%s case_id=%s category=%s source=%s",
                 answer.id, case_id, classification.category, source)
        return IntakeResult(202, body)
    except IntegrityError:
        # The same response_id committed by a concurrent delivery: answer as a duplicate.
        with transaction(sessions) as session:
            seen = _existing(session, tenant_id, data["response_id"])
            if seen is None:
                raise
            return IntakeResult(200, seen.answer_body)
