"""The delivery log's rows: written by the web for what a request became, and by the worker for an
accepted answer's delivery, from the answer itself (``cases.feeding``)."""
from typing import cast

from sqlalchemy import Table

from connector.store.models import Delivery
from connector.store.prepared import PreparedInsert

OUTCOME_BY_STATUS = {200: "duplicate", 202: "accepted"}
# Prepared once per dialect (``store.prepared``): a duplicate's row in intake, the fed answers' rows.
INSERT_ROWS = PreparedInsert(cast(Table, Delivery.__table__), (
    "tenant_id", "source", "status_code", "outcome", "reason", "delivery_id", "received_at", "response_id"))


def row(tenant_id: str, source: str, status: int, outcome: str, reason: str | None, delivery_id: str | None,
        received_at, response_id: str | None = None) -> dict:
    """One row of the log, each text cut to its column."""
    return dict(tenant_id=tenant_id, source=source[:32], status_code=status, outcome=outcome,
                reason=(reason or None) and reason[:300], delivery_id=(delivery_id or None) and delivery_id[:200],
                received_at=received_at, response_id=response_id)


def accepted_row(tenant_id: str, source: str, delivery_id: str | None, received_at, response_id: str) -> dict:
    """The row of a delivery whose answer was stored (its 202)."""
    return row(tenant_id, source, 202, OUTCOME_BY_STATUS[202], None, delivery_id, received_at, response_id)
