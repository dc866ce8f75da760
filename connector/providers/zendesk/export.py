"""Zendesk's cursor-based Incremental Ticket Export, with the requesters side-loaded: the source
of the local ticket-history index (``cases.ticket_index``).

``GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>&include=users`` the first time,
then ``?cursor=<after_cursor>&include=users`` until ``end_of_stream`` is true; the last
``after_cursor`` is kept, and the next pull continues from it (tickets changed since). Up to 1,000
tickets a page (``per_page``). Items changed in the minute before a request are left for the next
one. The export has its own rate limit, 10 requests a minute (30 with the High Volume API add-on),
on top of the account's: answered ``429`` with ``Retry-After``.
See https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
("Rate limits", "Incremental Ticket Export, Cursor Based") and
https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
("Cursor-based incremental exports", "Side-loading related records").
"""
from collections.abc import Callable
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from connector.ports.ticket_history import TicketPage, TicketRecord
from connector.providers.zendesk.client import TIMEOUT_SECONDS, ZendeskRetryableError, zendesk_errors

PATH = "/api/v2/incremental/tickets/cursor.json"
PER_PAGE = 1000  # the export's largest page


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class _Ticket(_Lenient):
    id = fields.Integer(required=True)
    requester_id = fields.Integer(load_default=None, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)


class _User(_Lenient):
    id = fields.Integer(required=True)
    email = fields.String(load_default=None, allow_none=True)


class _Page(_Lenient):
    tickets = fields.List(fields.Nested(_Ticket), required=True)
    users = fields.List(fields.Nested(_User), load_default=list)
    after_cursor = fields.String(load_default=None, allow_none=True)
    end_of_stream = fields.Boolean(required=True)


def parse_page(body: Any) -> TicketPage:
    """A page as Zendesk answers it; a shape this version cannot read is a retryable error (a proxy
    page, a truncated body), its field names only in the message, never a value."""
    try:
        page = _Page().load(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        raise ZendeskRetryableError(f"Zendesk ticket export page unreadable (fields: {sorted(exc.messages)})") from None
    tickets = tuple(TicketRecord(t["id"], t["requester_id"], t["created_at"], t["updated_at"],
                                 (t["status"] or "").lower() or None) for t in page["tickets"])
    return TicketPage(tickets, page["after_cursor"], page["end_of_stream"],
                      {u["id"]: u["email"] for u in page["users"]})


def fetch_page(get: Callable[..., Any], base_url: str, *, cursor: str | None = None,
               start_time: datetime | None = None, per_page: int = PER_PAGE) -> TicketPage:
    """One export request: from ``cursor`` when there is one, else from ``start_time``."""
    params: dict[str, Any] = {"include": "users", "per_page": per_page}
    if cursor:
        params["cursor"] = cursor
    elif start_time is not None:
        params["start_time"] = int(start_time.timestamp())
    else:
        raise ValueError("a first export needs a start_time")
    with zendesk_errors("ticket export"):
        response = get(f"{base_url}{PATH}", params=params, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        try:
            body = response.json()
        except ValueError:  # not JSON (a proxy's error page): read again later
            body = None
    return parse_page(body)
