"""The Zendesk stand-in's Incremental Ticket Export, cursor based, as strict as Zendesk's:

* ``GET /api/v2/incremental/tickets/cursor.json``: the first request names ``start_time`` (Unix
  seconds, an integer, at least a minute in the past), the next ones ``cursor`` (the previous
  page's ``after_cursor``, opaque; a cursor it did not hand out is ``400``);
* tickets ordered by their ``generated_timestamp`` (the last change) then id, ``per_page`` up to
  1,000 (the default); items changed in the minute before the request are left for a later one;
* ``end_of_stream`` true once the page holds everything up to that minute; ``after_cursor`` is
  always there so a later pull continues from it;
* ``include=users`` side-loads the requesters, submitters and assignees of the page;
* its own limit, 10 requests a minute per account by default (30 with the High Volume add-on),
  answered ``429`` with ``Retry-After``, on top of the account's limit.
See https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
"""
import base64
import binascii
import math
import time
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, jsonify, request

from connector.sandbox.common import RateLimiter
from connector.sandbox.zendesk_listing import as_answered, side_load_users
from connector.sandbox.zendesk_state import ZendeskStandinState

PATH = "/api/v2/incremental/tickets/cursor.json"
MAX_PER_PAGE = 1000
SETTLE_SECONDS = 60  # Zendesk leaves out what changed in the last minute


def _epoch(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode()


def _position(cursor: str) -> tuple[int, int] | None:
    try:
        stamp, _, ticket_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return int(stamp), int(ticket_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _bad(description: str, error: str = "InvalidValue"):
    return jsonify({"error": error, "description": description}), 400


def install_incremental_export(app: Flask, state: ZendeskStandinState, limit_per_minute: int | None = 10,
                               clock=time.time) -> None:
    limiter = RateLimiter(limit_per_minute, 60.0)
    state.export_limiter = limiter

    @app.get(PATH)
    def incremental_tickets():
        wait = limiter.check("account")
        if wait is not None:
            response = jsonify({"error": "TooManyRequests",
                                "description": "Number of allowed incremental export API requests per minute exceeded"})
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response, 429
        now = int(clock())
        cursor, start = request.args.get("cursor"), request.args.get("start_time")
        if cursor:
            position = _position(cursor)
            if position is None:
                return _bad("cursor is invalid", "InvalidPaginationParameter")
        elif start is None:
            return _bad("start_time or cursor is required")
        else:
            try:
                start_time = int(start)
            except ValueError:
                return _bad("start_time must be an integer (Unix seconds)")
            if start_time > now - SETTLE_SECONDS:
                return _bad("Too recent start_time. Use a start_time older than 1 minute")
            position = (start_time, 0)  # everything changed at or after start_time
        try:
            per_page = min(int(request.args.get("per_page", MAX_PER_PAGE)), MAX_PER_PAGE)
        except ValueError:
            return _bad("per_page must be an integer")
        if per_page < 1:
            return _bad("per_page must be at least 1")
        with state.lock:
            settled = sorted(((_epoch(t["updated_at"]), t["id"]), t) for t in state.tickets.values()
                             if _epoch(t["updated_at"]) <= now - SETTLE_SECONDS)
            after = [(key, t) for key, t in settled if key > position]
            page = after[:per_page]
            last = page[-1][0] if page else position
            tickets = [dict(as_answered("tickets", t), generated_timestamp=key[0]) for key, t in page]
            body = {"tickets": tickets, "after_cursor": _cursor(last),
                    "after_url": f"{request.base_url}?{urlencode({'cursor': _cursor(last)})}",
                    "before_cursor": _cursor(page[0][0]) if page else None, "before_url": None,
                    "end_of_stream": len(after) <= per_page}
            return jsonify(side_load_users(state, body, [t for _, t in page]))
