"""Store rows -> ``CaseFacts`` -> the recovery metrics report (admin API and CLI).

Two queries whatever the number of cases: one for the cases with their
opening and closing answers (interim answers, ``answers.interim_case_id``, are never read) (outer joins, scalar columns only, so no comment
or e-mail is ever loaded), one for the recognition/empathy completions.

The window selects cases by the opening answer's ``submitted_at`` (the
protocol clock; the case's ``opened_at`` when the answer is missing), half-open
``[since, until)``. A ``date`` bound means whole days: ``since`` from that
day's 00:00 UTC, ``until`` up to the end of that day.
"""
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from connector.domain.cause_figures import by_cause
from connector.domain.metrics import AUTOMATIC, CaseFacts, compute_metrics
from connector.store.models import Answer, Case, Stage, SystemicIssue

CONTACT_STAGES = ("recognition", "empathy")
UNKNOWN_SURVEY = "unknown"  # opening answer gone: its score is kept out of NPS figures


def _bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given as a metrics window bound")
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def _case_rows(session: Session, tenant_id: str, since: datetime | None, until: datetime | None) -> Select[*tuple[Any, ...]]:
    opening, closing = aliased(Answer), aliased(Answer)
    started = func.coalesce(opening.submitted_at, Case.opened_at)  # typed UTCDateTime: aware on SQLite too
    query = (select(Case.id, Case.value_tier, Case.profile, Case.outcome, Case.score,
                    started.label("submitted_at"), opening.survey_type, opening.score,
                    closing.survey_type, closing.score, Case.failure_reason, Case.holdout, Case.lifetime_value,
                    func.coalesce(Case.cause, Case.cause_suggested))
             .select_from(Case)
             .outerjoin(opening, opening.id == Case.opening_answer_id)
             .outerjoin(closing, closing.id == Case.closing_answer_id)
             .where(Case.tenant_id == tenant_id))
    if since is not None:
        query = query.where(started >= since)
    if until is not None:
        query = query.where(started < until)
    return query


def case_facts(session: Session, *, tenant_id: str = "default", since: date | datetime | None = None,
               until: date | datetime | None = None) -> list[CaseFacts]:
    """One ``CaseFacts`` per case of ``tenant_id`` whose answer falls in the window."""
    query = _case_rows(session, tenant_id, _bound(since, end=False), _bound(until, end=True))
    rows = session.execute(query.order_by(Case.id)).all()
    ids = query.with_only_columns(Case.id).scalar_subquery()
    completed: dict[tuple[int, str], datetime | None] = {}
    automatic: set[int] = set()  # cases recognised by the connector's own acknowledgement
    for case_id, key, at, details in session.execute(
            select(Stage.case_id, Stage.key, Stage.completed_at, Stage.details).where(
                Stage.case_id.in_(ids), Stage.key.in_(CONTACT_STAGES), Stage.completed_at.is_not(None))):
        completed[(case_id, key)] = at
        if key == "recognition" and (details or {}).get(AUTOMATIC):
            automatic.add(case_id)
    facts = []
    for (case_id, tier, profile, outcome, case_score, submitted_at,
         survey_type, score, type_after, score_after, failure_reason, holdout, value, cause) in rows:
        facts.append(CaseFacts(
            submitted_at=submitted_at, value_tier=tier,
            survey_type=survey_type or UNKNOWN_SURVEY,
            score_before=score if score is not None else case_score, profile=profile,
            recognition_completed_at=completed.get((case_id, "recognition")),
            empathy_completed_at=completed.get((case_id, "empathy")),
            outcome=outcome, score_after=score_after if outcome else None,
            survey_type_after=type_after if outcome else None, failure_reason=failure_reason,
            recognition_automatic=case_id in automatic, holdout=bool(holdout), lifetime_value=value,
            cause=cause))
    return facts


def systemic_issues(session: Session, tenant_id: str, since: datetime | None,
                    until: datetime | None) -> dict[str, Any]:
    """The systemic issues opened in the window: how many are open and solved, each with its cases."""
    query = select(SystemicIssue).where(SystemicIssue.tenant_id == tenant_id)
    if since is not None:
        query = query.where(SystemicIssue.opened_at >= since)
    if until is not None:
        query = query.where(SystemicIssue.opened_at < until)
    issues = session.scalars(query.order_by(SystemicIssue.id)).all()
    members = dict(session.execute(select(Case.systemic_issue_id, func.count()).where(
        Case.systemic_issue_id.in_([i.id for i in issues])).group_by(Case.systemic_issue_id)).all()) if issues else {}
    return {"open": sum(i.solved_at is None for i in issues), "solved": sum(i.solved_at is not None for i in issues),
            "issues": [{"id": i.id, "cause": i.cause, "cases": members.get(i.id, 0), "opened_at": _iso(i.opened_at),
                        "status": "solved" if i.solved_at else "open", "problem_ticket_id": i.problem_ticket_id}
                       for i in issues]}


def metrics_report(session: Session, *, tenant_id: str = "default", since: date | datetime | None = None,
                   until: date | datetime | None = None, reasons: Iterable[str] = (),
                   now: datetime | None = None, causes: Iterable[str] = ()) -> dict[str, Any]:
    """``compute_metrics`` over the window's cases, with the case count and the window;
    ``reasons`` the configured failure reasons (``Policies.failure.reasons``), ``now`` the
    runtime's clock (cases still inside their 6 h / 24 h window are not yet counted as late),
    ``causes`` the taxonomy's keys (every one listed, even at 0)."""
    facts = case_facts(session, tenant_id=tenant_id, since=since, until=until)
    report = compute_metrics(facts, reasons, now)
    report["causes"] = by_cause(facts, causes)
    report["systemic_issues"] = systemic_issues(session, tenant_id, _bound(since, end=False), _bound(until, end=True))
    report["window"] = {"since": _iso(since), "until": _iso(until), "on": "submitted_at"}
    return report
