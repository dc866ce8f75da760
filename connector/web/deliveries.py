"""The delivery log: every inbound webhook request and what became of it.

Handlers say what happened with ``note()``; an ``after_request`` hook writes
the row in its own transaction, so a log write can never undo an answer, and a
failing log write is logged, not turned into a 5xx. A request that stores an
answer instead commits its row with the answer (``in_intake``): one commit per
accepted answer, and an "accepted" row exists only if the answer does.
"""
import logging

from flask import Blueprint, current_app, g, request
from sqlalchemy import insert

from connector.store.db import transaction
from connector.store.models import Delivery

log = logging.getLogger(__name__)

OUTCOME_BY_STATUS = {200: "duplicate", 202: "accepted"}
_INSERT = insert(Delivery.__table__)  # Core, built once: no ORM flush on the webhook's hot path


def note(outcome: str | None = None, reason: str | None = None, delivery_id: str | None = None,
         source: str | None = None) -> None:
    """Describe the current delivery (defaults come from the response status)."""
    g.delivery = {"outcome": outcome, "reason": reason, "delivery_id": delivery_id, "source": source}


def _row(source: str, status: int, outcome: str, reason: str | None, delivery_id: str | None, now) -> dict:
    return dict(tenant_id=g.get("tenant", "default"), source=source[:32], status_code=status, outcome=outcome, reason=(reason or None) and reason[:300],
                delivery_id=(delivery_id or None) and delivery_id[:200], received_at=now)


def in_intake(source: str, delivery_id: str | None, now):
    """``log_delivery`` for ``intake.accept``: the row (accepted or duplicate) joins the
    intake's transaction. Call ``recorded()`` once intake has returned."""
    delivery_id = delivery_id or request.headers.get("webhook-id")

    def add(session, status: int) -> None:
        session.execute(_INSERT, [_row(source, status, OUTCOME_BY_STATUS[status], None, delivery_id, now)])
    return add


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
        outcome = facts.get("outcome") or OUTCOME_BY_STATUS.get(status, "rejected" if status >= 400 else "accepted")
        reason = facts.get("reason")
        if reason is None and status >= 400:
            reason = (response.get_json(silent=True) or {}).get("error") or f"HTTP {status}"
        source = facts.get("source") or default_source(request)
        try:
            with transaction(current_app.extensions["recovery"].sessions) as session:
                row = _row(source, status, outcome, reason,
                           facts.get("delivery_id") or request.headers.get("webhook-id"),
                           current_app.extensions["recovery"].clock())
                session.execute(_INSERT, [row])
        except Exception:
            log.exception("delivery log write failed source=%s status=%s", source, status)
        return response
