"""Intake: one validated answer becomes stored rows, in one transaction.

This is where "accepted" is decided: the answer (with the id of the delivery that brought it)
and, for a detractor, its case (the id the 202 names) are committed together before the webhook
answers 2xx, so a crash after the 2xx loses nothing and a crash before it leaves nothing
behind. The rest is the worker's, from what was committed: it feeds each new answer once
(``cases.feeding``: the answer's job and its delivery-log row), then plans a new case's
profile, cause, stages and syncs (``cases.planning``). The answers table is the outbox: only
what the answer needs is in the webhook's transaction.
"""
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.cases.shared import row
from connector.cases.transitions import assess_value, close_with_answer, watch_for_signals
from connector.domain import holdout as holdouts
from connector.domain import rules
from connector.domain.outcome import REOPENING, closes_case
from connector.domain.policies import Policies
from connector.jobs.queue import enqueue
from connector.store.db import transaction
from connector.store.models import Answer, Case
from connector.store.prepared import Prepared, PreparedInsert
from connector.store.write_units import write_unit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    status: int  # 202 accepted now, 200 seen before
    body: dict[str, Any]


# Prepared once per dialect and run on the DBAPI cursor (``store.prepared``): SQLAlchemy's
# per-execution work cost more than SQLite's, and these run on every accepted webhook.
_ANSWERS, _CASES = cast(Table, Answer.__table__), cast(Table, Case.__table__)
_ANSWER_KEYS = ("tenant_id", "response_id", "source", "survey_type", "survey_id", "survey_name", "survey_kind",
                "score", "category", "comment", "locale", "customer_email", "customer_name", "company",
                "lifetime_value", "vip", "context", "submitted_at", "received_at", "case_id", "answer_body", "delivery_id")
_SEEN_BODY = select(_ANSWERS.c.answer_body).where(
    _ANSWERS.c.tenant_id == bindparam("tenant"), _ANSWERS.c.response_id == bindparam("response"))
# A duplicate costs no look-up first: the INSERT returns no id when the response_id is taken.
_INSERT_ANSWER = PreparedInsert(_ANSWERS, _ANSWER_KEYS, conflict=("tenant_id", "response_id"), returning="id")
_CUSTOMER_CASES = Prepared(select(_CASES.c.id, _CASES.c.status).where(
    _CASES.c.tenant_id == bindparam("tenant"), _CASES.c.customer_email == bindparam("email")
).order_by(_CASES.c.id.desc()))
_INSERT_CASE = PreparedInsert(_CASES, [c.key for c in _CASES.columns if not c.primary_key], returning="id")
_LINK_CASE = Prepared(update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer")).values(
    case_id=bindparam("case"), answer_body=bindparam("body")))
_INTERIM = update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer")).values(interim_case_id=bindparam("case"))
_ANSWER_BODY = update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer")).values(answer_body=bindparam("body"))


def _seen_body(session: Session, tenant_id: str, response_id: str) -> dict[str, Any] | None:
    """What we answered the first delivery of this response, if any (one column, no ORM row)."""
    seen: dict[str, Any] | None = session.execute(_SEEN_BODY, {"tenant": tenant_id, "response": response_id}).scalar()
    return seen


def _customer_cases(session: Session, answer: Answer) -> list[tuple[int, str]]:
    """(id, status) of the customer's cases, newest first: usually none."""
    return [(case_id, status) for case_id, status in _CUSTOMER_CASES.execute(
        session, {"tenant": answer.tenant_id, "email": answer.customer_email})]


@dataclass(frozen=True)
class Met:
    """What the customer's open case made of a later answer."""

    case_id: int
    closed_as: str | None  # the outcome; None: the answer is interim and the case stays open


def _meet_open_case(session: Session, answer: Answer, cases: Sequence[tuple[int, str]], policy: Policies,
                    now: datetime) -> Met | None:
    """A later answer closes the customer's open case only as ``domain.outcome.closes_case`` says
    (own survey type from the closing window on, or the re-survey's answer); any other later
    answer is kept on the case as interim. None: no open case, or an older answer arriving late."""
    open_id = next((case_id for case_id, status in cases if status == "open"), None)
    if open_id is None:
        return None
    case = row(session, Case, open_id)
    opening = row(session, Answer, case.opening_answer_id)
    if answer.submitted_at <= opening.submitted_at:
        return None
    resurvey = answer.context.get("recovery_case_id") == case.id
    if closes_case(opening.survey_type, opening.submitted_at, answer.survey_type, answer.submitted_at,
                   policy.rules["closing_window_days"], answers_resurvey=resurvey):
        return Met(case.id, close_with_answer(session, case, answer, now))
    session.execute(_INTERIM, {"answer": answer.id, "case": case.id})
    enqueue(session, "zendesk.interim_note", case.id, tenant_id=case.tenant_id,
            dedupe_key=f"zendesk.interim_note:{case.id}:{answer.id}")
    log.info("interim answer case_id=%s answer_id=%s", case.id, answer.id)
    return Met(case.id, None)


@dataclass(frozen=True)
class HoldoutDraw:
    """The admin's holdout setting and the uniform [0, 1) source it draws from (a seeded
    ``random.Random().random`` in tests)."""

    setting: holdouts.HoldoutSetting = holdouts.HoldoutSetting()
    source: Callable[[], float] = random.random


NO_HOLDOUT = HoldoutDraw()


def _draw_holdout(case: Case, answer: Answer, policy: Policies, holdout: HoldoutDraw) -> None:
    # A value HubSpot has yet to give may turn out critical: such a case is never drawn.
    known = case.lifetime_value is not None or not policy.rules.get("lifetime_value_from_hubspot")
    if holdouts.eligible(holdout.setting, case.value_tier, bool(answer.vip), known):
        case.holdout_draw = holdout.source()
        case.holdout = holdouts.held_out(holdout.setting, case.holdout_draw)
    else:
        case.holdout = False


def _open_case(session: Session, answer: Answer, classification: rules.Classification, policy: Policies,
               now: datetime, previous_case_id: int | None, holdout: HoldoutDraw) -> Case:
    """The case row the 202 names: its classification, value, owner and holdout draw. Its profile,
    cause and stages are the worker's (``cases.planning``, once it has fed the answer)."""
    # ``case``: the row's values for the rules that set and read them, written by one prepared
    # INSERT, never by the ORM (a plain namespace, as the answer: an ORM instance's 25
    # instrumented sets cost a detractor 20 µs). A column it leaves out gets its default.
    case = cast(Case, SimpleNamespace(
        tenant_id=answer.tenant_id, status="open", customer_email=answer.customer_email,
        opening_answer_id=answer.id, score=answer.score, category=answer.category,
        severity=classification.severity, opened_at=now, escalations=0, churn_risk=False,
        previous_case_id=previous_case_id))
    assess_value(case, answer, answer.lifetime_value, policy)
    _draw_holdout(case, answer, policy, holdout)
    case.id = _INSERT_CASE.execute(session, vars(case))[0][0]
    return case


def accept(sessions: sessionmaker[Session], policy: Policies, data: dict[str, Any], *, source: str, now: datetime,
           tenant_id: str = "default", delivery_id: str | None = None,
           log_duplicate: Callable[[Session], None] | None = None,
           holdout: HoldoutDraw = NO_HOLDOUT) -> IntakeResult:
    """Store a validated answer (see inbound.schemas) idempotently on response_id.

    ``delivery_id``: the delivery's id (``webhook-id``, a vendor's event id), kept on the answer:
    its "accepted" row in the delivery log is written from it when the worker feeds the answer.
    ``log_duplicate(session)``, when given, adds a repeated delivery's "duplicate" row to the
    transaction that finds the earlier answer. ``holdout``: the tenant's holdout setting and draw
    source (default: off).
    """
    try:
        with write_unit(sessions) as session:
            result, stored = _store(session, policy, data, source, now, tenant_id, delivery_id, holdout)
            if stored is None and log_duplicate is not None:
                log_duplicate(session)
        if stored is not None:
            # An answer that opened a case or joined one is told at INFO; every other is in the
            # delivery log (the dashboard) and here at DEBUG: at INFO its line cost the web ~45 µs
            # of CPU an answer, 6% of an intake (issue 16).
            log.log(logging.INFO if result.body["case_id"] is not None else logging.DEBUG,
                    "answer accepted answer_id=%s case_id=%s category=%s source=%s",
                    stored.id, result.body["case_id"], stored.category, source)
        return result
    except IntegrityError:
        # The same response_id committed by a concurrent delivery: answer as a duplicate.
        with transaction(sessions) as session:
            seen = _seen_body(session, tenant_id, data["response_id"])
            if seen is None:
                raise
            if log_duplicate is not None:
                log_duplicate(session)
            return IntakeResult(200, seen)


def _store(session: Session, policy: Policies, data: dict[str, Any], source: str, now: datetime,
           tenant_id: str, delivery_id: str | None, holdout: HoldoutDraw) -> tuple[IntakeResult, Answer | None]:
    """The answer and its case (or the earlier answer's body); the new Answer."""
    customer, survey = data["customer"], data["survey"]
    classification = rules.classify(survey["type"], data["score"], customer["vip"], policy.rules)
    values = dict(
        tenant_id=tenant_id, response_id=data["response_id"], source=source,
        survey_type=survey["type"], survey_id=survey.get("id"), survey_name=survey.get("name"),
        survey_kind=survey.get("kind"),
        score=data["score"], category=classification.category, comment=data.get("comment"),
        locale=data.get("locale"), customer_email=customer["email"].lower(),
        customer_name=customer.get("name"), company=customer.get("company"),
        lifetime_value=customer.get("lifetime_value"), vip=customer["vip"],
        context=data.get("context") or {}, submitted_at=data["submitted_at"], received_at=now,
        case_id=None, answer_body={"response_id": data["response_id"], "case_id": None},
        delivery_id=(delivery_id or None) and delivery_id[:200])
    # The row is written by a prepared INSERT: the ORM's flush cost more than all the rules.
    inserted = _INSERT_ANSWER.first(session, values)
    if inserted is None:  # seen before (or committed by a concurrent delivery meanwhile)
        seen = _seen_body(session, tenant_id, data["response_id"])
        if seen is None:  # taken but not visible to this transaction yet: ``accept`` looks again
            raise IntegrityError("INSERT INTO answers", None, Exception("response_id taken"))
        return IntakeResult(200, seen), None
    # ``answer``: the stored row's values for the rules that read it, never written back. A plain
    # namespace: building an ORM instance (its state, 20 instrumented sets) cost a tenth of a webhook.
    answer = cast(Answer, SimpleNamespace(**values, id=inserted[0], interim_case_id=None))
    earlier = _customer_cases(session, answer)
    met = _meet_open_case(session, answer, earlier, policy, now)
    if met is not None:
        session.flush()  # the ORM's changes to the met case first, then the prepared statements
    interim = met is not None and met.closed_as is None
    if interim or not classification.opens_case or (met is not None and met.closed_as not in REOPENING):
        # The contact's last-answer properties follow every answer (its sync is queued when the
        # worker feeds it, ``cases.feeding``); a detractor's interim answer adds to the open case
        # (its id in the answer) instead of opening a second one.
        watch_for_signals(session, answer, policy)
        body = dict(values["answer_body"])
        if interim and met is not None and classification.opens_case:
            body["case_id"] = met.case_id
            session.execute(_ANSWER_BODY, {"answer": answer.id, "body": body})
        return IntakeResult(202, body), answer
    case = _open_case(session, answer, classification, policy, now, earlier[0][0] if earlier else None, holdout)
    body = {"response_id": answer.response_id, "case_id": case.id}
    _LINK_CASE.execute(session, {"answer": answer.id, "case": case.id, "body": body})
    # Its profile, cause, stages and sync jobs: the worker's, once it has fed the answer (its
    # plan's job, ``cases.feeding`` and ``cases.planning``).
    return IntakeResult(202, dict(body)), answer
