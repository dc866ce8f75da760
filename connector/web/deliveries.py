"""The delivery log: every inbound webhook request and what became of it.

Handlers say what happened with ``note()``; an ``after_request`` hook writes
the row in its own transaction, so a log write can never undo an answer, and a
failing log write is logged, not turned into a 5xx. A request that stores an
answer writes no row: the answer keeps the delivery's id, and the worker writes its
"accepted" row from the answer when it feeds it (``cases.feeding``; a reader of the log
feeds first), so such a row exists only if the answer does, and the webhook commits one
row. A repeated delivery's "duplicate" row joins the transaction that found the earlier
answer (``duplicate_row``).

Only senders who proved who they are get a row. A request refused before its signature
verified (401, an unknown vendor or tenant 404, 413) or an unsigned connection test is
counted (``connector.infra.counters``, per route and reason: ``GET /api/metrics/requests``)
and never stored: its source, id and tenant are whatever the sender wrote, and a flood of
them would push the real deliveries off the log. ``retention`` trims what is stored.
"""
import logging
import re

from flask import Blueprint, g, request
from sqlalchemy import insert, select

from connector.domain.text import plain_name
from connector.infra import counters
from connector.store import delivery_rows
from connector.store.db import transaction
from connector.store.delivery_rows import INSERT_ROWS, OUTCOME_BY_STATUS
from connector.store.models import Delivery
from connector.web.current import runtime

log = logging.getLogger(__name__)

BEFORE_AUTHENTICATION = frozenset({401, 403, 404, 405, 413})  # the sender proved nothing yet
_REASON = re.compile(r"^[a-z_]{1,40}$")
_INSERT = insert(Delivery.__table__)  # Core, built once: no ORM flush on the webhook's hot path


def field_names(messages) -> list[str]:
    """``{"customer": {"email": [...]}, "score": [...]}`` -> ``["customer.email", "score"]``: which
    fields a 422 refused, for the log and the dashboard, never their values. A name that is not
    a plain identifier (a sender may put anything in a key) is shown as ``?``."""
    if not isinstance(messages, dict):
        return []
    names: list[str] = []
    for key, inner in messages.items():
        name = plain_name(str(key)) or "?"
        nested = field_names(inner)
        names.extend(f"{name}.{child}" for child in nested) if nested else names.append(name)
    return names


def note(outcome: str | None = None, reason: str | None = None, delivery_id: str | None = None,
         source: str | None = None) -> None:
    """Describe the current delivery (defaults come from the response status)."""
    g.delivery = {"outcome": outcome, "reason": reason, "delivery_id": delivery_id, "source": source}


def unauthenticated(reason: str) -> None:
    """This request proved nothing about its sender (a ping, a HEAD check): counted, not stored."""
    g.delivery = {"unauthenticated": reason}


def unlogged() -> None:
    """Authentic traffic that belongs to no tenant: no row (the caller counts it as ignored)."""
    g.delivery = {"recorded": True}


def _count_refused(response) -> None:
    error = (response.get_json(silent=True) or {}).get("error") if response.is_json else None
    reason = error if isinstance(error, str) and _REASON.match(error) else f"http_{response.status_code}"
    counters.rejected(request.url_rule.rule if request.url_rule else request.blueprint or "?", reason)


def _row(source: str, status: int, outcome: str, reason: str | None, delivery_id: str | None, now,
         response_id: str | None = None) -> dict:
    return delivery_rows.row(g.get("tenant", "default"), source, status, outcome, reason, delivery_id, now, response_id)


def delivery_id_of(stated: str | None) -> str | None:
    """The delivery's id: the one its source states, else the Standard Webhooks ``webhook-id``."""
    return stated or request.headers.get("webhook-id")


def duplicate_row(source: str, delivery_id: str | None, now, response_id: str):
    """``log_duplicate`` for ``intake.accept``: a repeated delivery's row joins the transaction that
    found its earlier answer, and names it. Call ``recorded()`` once intake has returned."""
    def add(session) -> None:
        INSERT_ROWS.execute(session, _row(source, 200, OUTCOME_BY_STATUS[200], None, delivery_id, now, response_id))
    return add


def dead_jobs_behind(session, deliveries) -> dict[int, list[int]]:
    """Delivery id -> the dead jobs of the answer it stored and of that answer's case: what
    its Replay button queues again. Deliveries that stored nothing have none."""
    from connector.cases.kinds import CASE_KINDS
    from connector.store.models import Answer, Job

    wanted = {(d.tenant_id, d.response_id) for d in deliveries if d.response_id}
    if not wanted:
        return {}
    answers = [a for a in session.execute(select(Answer.id, Answer.case_id, Answer.tenant_id, Answer.response_id)
                                          .where(Answer.response_id.in_({r for _, r in wanted})))
               if (a.tenant_id, a.response_id) in wanted]
    refs = {a.id for a in answers} | {a.case_id for a in answers if a.case_id}
    dead = session.execute(select(Job.id, Job.kind, Job.ref_id, Job.tenant_id)
                           .where(Job.status == "dead", Job.ref_id.in_(refs))).all() if refs else []
    jobs_of = {}
    for answer in answers:
        jobs_of[(answer.tenant_id, answer.response_id)] = sorted(
            job.id for job in dead if job.tenant_id == answer.tenant_id
            and job.ref_id == (answer.case_id if job.kind in CASE_KINDS else answer.id))
    return {d.id: jobs_of[(d.tenant_id, d.response_id)] for d in deliveries
            if jobs_of.get((d.tenant_id, d.response_id))}


def recorded() -> None:
    """This request's row committed with its answer: the after-request hook writes none."""
    g.delivery = {"recorded": True}


def record_deliveries(bp: Blueprint, default_source) -> None:
    """Log every response of ``bp``; ``default_source(request)`` names the sender."""

    @bp.after_request
    def _record(response):
        facts = g.pop("delivery", None) or {}
        if facts.get("recorded"):
            return response
        status = response.status_code
        if facts.get("unauthenticated"):
            counters.rejected(request.url_rule.rule if request.url_rule else "?", facts["unauthenticated"])
            return response
        if status in BEFORE_AUTHENTICATION:
            _count_refused(response)
            return response
        outcome = facts.get("outcome") or OUTCOME_BY_STATUS.get(status, "rejected" if status >= 400 else "accepted")
        reason = facts.get("reason")
        if reason is None and status >= 400:
            reason = (response.get_json(silent=True) or {}).get("error") or f"HTTP {status}"
        source = facts.get("source") or default_source(request)
        try:
            with transaction(runtime().sessions) as session:
                row = _row(source, status, outcome, reason,
                           facts.get("delivery_id") or request.headers.get("webhook-id"),
                           runtime().clock())
                session.execute(_INSERT, [row])
        except Exception:
            log.exception("delivery log write failed source=%s status=%s", source, status)
        return response
