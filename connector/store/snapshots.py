"""Frozen views of store rows for vendor adapters, and the side-effect ledger."""
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.domain.react import ReactProtocol
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, StageSnapshot
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, SideEffect
from connector.store.prepared import Prepared, PreparedInsert


def answer_snapshot(answer: Answer) -> AnswerSnapshot:
    return AnswerSnapshot(
        answer_id=answer.id, response_id=answer.response_id, customer_email=answer.customer_email,
        customer_name=answer.customer_name, company=answer.company, survey_type=answer.survey_type,
        score=answer.score, category=answer.category, comment=answer.comment, locale=answer.locale,
        submitted_at=answer.submitted_at)


# Prepared once (``store.prepared``): every new case runs it inside the webhook's transaction.
_EARLIER_SCORES = Prepared(select(Answer.survey_type, Answer.score).where(
    Answer.tenant_id == bindparam("tenant"), Answer.customer_email == bindparam("email"),
    Answer.id != bindparam("answer"), Answer.submitted_at < bindparam("submitted", type_=Answer.submitted_at.type))
    .order_by(Answer.submitted_at.desc()).limit(20))


def earlier_scores(session: Session, answer: Answer) -> list[tuple[str, int]]:
    """(survey type, score) of the customer's answers before this one, newest first."""
    return [(survey, score) for survey, score in _EARLIER_SCORES.execute(session, {
        "tenant": answer.tenant_id, "email": answer.customer_email, "answer": answer.id,
        "submitted": answer.submitted_at})]


def _history(session: Session, case: Case) -> tuple[str, ...]:
    earlier = session.scalars(
        select(Answer).where(Answer.tenant_id == case.tenant_id,
                             Answer.customer_email == case.customer_email,
                             Answer.id != case.opening_answer_id)
        .order_by(Answer.submitted_at.desc()).limit(10)).all()
    return tuple(f"{a.submitted_at:%Y-%m-%d} {a.survey_type.upper()} {a.score} ({a.category})"
                 for a in earlier)


def _latest_interim(session: Session, case: Case) -> tuple[AnswerSnapshot, ...]:
    """The newest interim answer of each survey type (NPS and CSAT land on different properties)."""
    newest: dict[str, Answer] = {}
    for answer in session.scalars(select(Answer).where(Answer.interim_case_id == case.id)
                                  .order_by(Answer.submitted_at.desc())):
        newest.setdefault(answer.survey_type, answer)
    return tuple(answer_snapshot(a) for a in newest.values())


def case_snapshot(session: Session, case: Case, *, protocol: ReactProtocol, hubspot_priority: str,
                  ticket_url: str | None = None, asks: dict[str, str] | None = None,
                  recognition_draft: str | None = None) -> CaseSnapshot:
    """Titles and task types from the admin's ``protocol``; ``asks`` replaces a stage's standard
    instruction (compensation guidance, playbooks)."""
    answer = session.get(Answer, case.opening_answer_id)
    asks = asks or {}
    stages = tuple(
        StageSnapshot(key=s.key, title=protocol[s.key].title, task_type=protocol[s.key].task_type,
                      ask=asks.get(s.key, protocol[s.key].ask), due_at=s.due_at, status=s.status,
                      completed_at=s.completed_at)
        for s in case.stages)
    return CaseSnapshot(
        case_id=case.id, answer=answer_snapshot(answer), status=case.status, severity=case.severity,
        profile=case.profile, profile_signals=tuple(case.profile_signals or ()),
        value_tier=case.value_tier, lifetime_value=case.lifetime_value, priority=case.priority,
        hubspot_priority=hubspot_priority, owner=case.owner, stages=stages, outcome=case.outcome,
        zendesk_ticket_id=case.zendesk_ticket_id, hubspot_contact_id=case.hubspot_contact_id,
        zendesk_ticket_url=ticket_url, history=_history(session, case), owner_name=case.owner_name,
        zendesk_assignee_email=case.zendesk_assignee_email, zendesk_group_id=case.zendesk_group_id,
        hubspot_owner=case.hubspot_owner, recognition_draft=recognition_draft,
        latest_answers=_latest_interim(session, case), churn_risk=bool(case.churn_risk),
        cause=case.effective_cause,
        cause_words=tuple(case.cause_words or ()) if case.cause is None or case.cause == case.cause_suggested else ())


# An entry an earlier attempt recorded is skipped by the database (keep the first): no fallback
# of one transaction per entry, hundreds for a group's tasks. ``created_at`` is its default.
_RECORD_NEW = PreparedInsert(cast(Table, SideEffect.__table__), ("scope", "key", "external_id"),
                             conflict=("scope", "key"))


RECORD_SLICE = 100  # ledger entries per write transaction


class DbLedger:
    """EffectLedger over the side_effects table; each record commits at once."""

    def __init__(self, factory: sessionmaker[Session], scope: str):
        self.factory = factory
        self.scope = scope

    def get(self, key: str) -> str | None:
        with reading(self.factory) as session:
            return session.scalar(select(SideEffect.external_id).where(
                SideEffect.scope == self.scope, SideEffect.key == key))

    def keys(self, prefix: str) -> dict[str, str]:
        with reading(self.factory) as session:
            rows = session.execute(select(SideEffect.key, SideEffect.external_id).where(
                SideEffect.scope == self.scope, SideEffect.key.startswith(prefix)))
            return dict(rows.all())

    def record(self, key: str, external_id: str) -> None:
        try:
            with transaction(self.factory) as session:
                session.add(SideEffect(scope=self.scope, key=key, external_id=str(external_id)))
        except IntegrityError:
            pass  # already recorded by an earlier attempt: same effect, keep the first

    @staticmethod
    def read_together(ledgers: list["DbLedger"], keys: list[str]) -> list[dict[str, str]]:
        """``keys`` of every ledger in one query per database, not one per key and case."""
        found: dict[tuple[str, str], str] = {}
        for factory in {ledger.factory for ledger in ledgers}:
            scopes = [ledger.scope for ledger in ledgers if ledger.factory is factory]
            with reading(factory) as session:
                rows = session.execute(select(SideEffect.scope, SideEffect.key, SideEffect.external_id).where(
                    SideEffect.scope.in_(scopes), SideEffect.key.in_(keys)))
                found.update({(scope, key): value for scope, key, value in rows})
        return [{k: found[(ledger.scope, k)] for k in keys if (ledger.scope, k) in found} for ledger in ledgers]

    @staticmethod
    def record_together(entries: list[tuple["DbLedger", str, str]]) -> None:
        """Effects of several cases (one batch answer), ``RECORD_SLICE`` per write transaction; an
        entry already recorded (an earlier attempt's) keeps its first value."""
        by_factory: dict = {}
        for ledger, key, external_id in entries:
            by_factory.setdefault(ledger.factory, []).append((ledger, key, external_id))
        for factory, rows in by_factory.items():
            # A slice per transaction: a task batch's 800 entries in one held SQLite's write lock
            # 20-130 ms in a campaign, and every webhook waits for it. Each entry stands alone
            # (a retry finds what a crash between slices left unrecorded by its natural key).
            for start in range(0, len(rows), RECORD_SLICE):
                with transaction(factory) as session:
                    _RECORD_NEW.execute_many(session, [dict(scope=ledger.scope, key=key, external_id=str(value))
                                                       for ledger, key, value in rows[start:start + RECORD_SLICE]])
