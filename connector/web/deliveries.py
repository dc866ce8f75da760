"""The delivery log: every inbound webhook request, recorded after it is answered.

Handlers say what happened with ``note()``; an ``after_request`` hook writes
the row in its own transaction, so a log write can never undo an accepted
answer, and a failing log write is logged, not turned into a 5xx.
"""
import logging

from flask import Blueprint, current_app, g, request

from connector.store.db import transaction
from connector.store.models import Delivery

log = logging.getLogger(__name__)

OUTCOME_BY_STATUS = {200: "duplicate", 202: "accepted"}


def note(outcome: str | None = None, reason: str | None = None, delivery_id: str | None = None,
         source: str | None = None) -> None:
    """Describe the current delivery (defaults come from the response status)."""
    g.delivery = {"outcome": outcome, "reason": reason, "delivery_id": delivery_id, "source": source}


def record_deliveries(bp: Blueprint, default_source) -> None:
    """Log every response of ``bp``; ``default_source(request)`` names the sender."""

    @bp.after_request
    def _record(response):
        facts = g.pop("delivery", None) or {}
        status = response.status_code
        outcome = facts.get("outcome") or OUTCOME_BY_STATUS.get(status, "rejected" if status >= 400 else "accepted")
        reason = facts.get("reason")
        if reason is None and status >= 400:
            reason = (response.get_json(silent=True) or {}).get("error") or f"HTTP {status}"
        row = Delivery(source=(facts.get("source") or default_source(request))[:32], status_code=status,
                       outcome=outcome, reason=(reason or None) and reason[:300],
                       delivery_id=(facts.get("delivery_id") or request.headers.get("webhook-id") or None))
        if row.delivery_id:
            row.delivery_id = row.delivery_id[:200]
        try:
            with transaction(current_app.extensions["recovery"].sessions) as session:
                row.received_at = current_app.extensions["recovery"].clock()
                session.add(row)
        except Exception:
            log.exception("delivery log write failed source=%s status=%s", row.source, status)
        return response
