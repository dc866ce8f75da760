"""Strict local stand-in of the Zendesk Support API, for sandbox mode and e2e tests.

Covers what the connector uses, answering in the shapes zenpy parses:
``POST/GET /api/v2/tickets``, ``GET/PUT /api/v2/tickets/{id}``, ticket comments,
users, a user's requested tickets and tags (``zendesk_user_tags``), a minimal ``/api/v2/search``, bulk
creation with its job statuses (``zendesk_jobs``), business-hours schedules (``zendesk_schedules``) and the
cursor-based incremental ticket export (``zendesk_export``). Like the real
API it wants basic auth ``{email}/token:{api_token}``, rejects unknown fields
and enum values with ``422 RecordInvalid``, honours ``Idempotency-Key`` on
ticket creation (``x-idempotency-lookup: hit|miss``, 2-hour window) and, with
a rate limit, answers ``429`` with ``Retry-After`` (per account).
"""
import hashlib
import json

from flask import Flask, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException

from connector.sandbox.common import install_guards
from connector.sandbox.zendesk_export import install_incremental_export
from connector.sandbox.zendesk_fields import install_ticket_fields
from connector.sandbox.zendesk_jobs import install_bulk_tickets
from connector.sandbox.zendesk_listing import as_answered, paged, search_records, side_load_users
from connector.sandbox.zendesk_schedules import install_schedules
from connector.sandbox.zendesk_state import RecordInvalid, ZendeskStandinState
from connector.sandbox.zendesk_user_tags import install_user_tags

STANDIN_EMAIL = "agent@sandbox.example"
STANDIN_API_TOKEN = "sandbox-zendesk-token"
_ERRORS = {400: "BadRequest", 401: "Couldn't authenticate you", 403: "Forbidden",
           404: "RecordNotFound", 409: "Conflict", 422: "RecordInvalid", 429: "TooManyRequests"}


def error_body(status: int, message: str) -> dict:
    if status == 401:
        return {"error": _ERRORS[401]}
    return {"error": _ERRORS.get(status, "InternalServerError"), "description": message}


def _error(status: int, message: str, **extra):
    return jsonify({**error_body(status, message), **extra}), status


def create_zendesk_standin(rate_limit_per_minute: int | None = None, *,
                           email: str = STANDIN_EMAIL, api_token: str = STANDIN_API_TOKEN,
                           bearer_check=None, export_limit_per_minute: int | None = 10) -> Flask:
    """A Flask app answering like Zendesk; its state is ``app.extensions["zendesk_standin"]``.

    ``bearer_check(token)`` (optional) judges an OAuth ``Authorization: Bearer`` token:
    None lets the call through, anything else is answered as the refusal.
    ``export_limit_per_minute``: the incremental export's own limit (``zendesk_export``).
    """
    app = Flask(__name__)
    state = ZendeskStandinState(rate_limit_per_minute, email, api_token)
    app.extensions["zendesk_standin"] = state
    install_guards(app, limiter=state.limiter, faults=state.faults, calls=state.calls,
                   rate_key=lambda req: "account", error_body=error_body)

    @app.before_request
    def _authenticate():
        auth = request.authorization
        if bearer_check is not None and auth and auth.type == "bearer":
            return bearer_check(auth.token)
        if not (auth and auth.type == "basic" and auth.username == f"{state.email}/token"
                and auth.password == state.api_token):
            response = jsonify(error_body(401, "unauthenticated"))
            response.headers["WWW-Authenticate"] = 'Basic realm="Web Password"'
            return response, 401
        return None

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 404:
            return _error(404, "Not found", error="InvalidEndpoint")
        return _error(exc.code or 500, exc.description or exc.name)

    def ticket_payload():
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not isinstance(payload.get("ticket"), dict) \
                or set(payload) != {"ticket"}:
            raise BadRequest("The body must be a JSON object with one key, ticket")
        return payload

    @app.post("/api/v2/tickets.json")
    @app.post("/api/v2/tickets")
    def create_ticket():
        payload = ticket_payload()
        key = request.headers.get("Idempotency-Key")
        fingerprint = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        with state.lock:
            if key:
                outcome, stored = state.idempotency_lookup(key, fingerprint)
                if outcome == "conflict":
                    return _error(400, "Request parameters don't match the given idempotency key",
                                  error="IdempotentRequestError")
                if outcome == "hit":
                    return jsonify(stored), 201, {"x-idempotency-lookup": "hit"}
            try:
                ticket, audit = state.create_ticket(payload["ticket"])
            except RecordInvalid as exc:
                return jsonify(exc.body()), 422
            answer = {"ticket": as_answered("tickets", ticket), "audit": audit}
            if key:
                state.remember(key, fingerprint, answer)
        headers = {"Location": answer["ticket"]["url"]}
        if key:
            headers["x-idempotency-lookup"] = "miss"
        return jsonify(answer), 201, headers

    @app.get("/api/v2/tickets.json")
    @app.get("/api/v2/tickets")
    def list_tickets():
        with state.lock:
            tickets = list(state.tickets.values())
            if "external_id" in request.args:
                tickets = [t for t in tickets if t["external_id"] == request.args["external_id"]]
            return jsonify(side_load_users(state, paged("tickets", "tickets", tickets), tickets))

    @app.route("/api/v2/tickets/<int:ticket_id>.json", methods=["GET", "PUT"])
    @app.route("/api/v2/tickets/<int:ticket_id>", methods=["GET", "PUT"])
    def one_ticket(ticket_id: int):
        with state.lock:
            if ticket_id not in state.tickets:
                return _error(404, "Not found")
            if request.method == "GET":
                ticket = state.tickets[ticket_id]
                return jsonify(side_load_users(state, {"ticket": as_answered("tickets", ticket)}, [ticket]))
            payload = ticket_payload()
            try:
                ticket, audit = state.update_ticket(ticket_id, payload["ticket"])
            except RecordInvalid as exc:
                return jsonify(exc.body()), 422
            return jsonify({"ticket": as_answered("tickets", ticket), "audit": audit})

    @app.get("/api/v2/tickets/<int:ticket_id>/comments.json")
    @app.get("/api/v2/tickets/<int:ticket_id>/comments")
    def ticket_comments(ticket_id: int):
        with state.lock:
            if ticket_id not in state.tickets:
                return _error(404, "Not found")
            return jsonify(paged("comments", None, list(state.comments[ticket_id])))

    @app.get("/api/v2/users/<int:user_id>.json")
    @app.get("/api/v2/users/<int:user_id>")
    def one_user(user_id: int):
        with state.lock:
            if user_id not in state.users:
                return _error(404, "Not found")
            return jsonify({"user": as_answered("users", state.users[user_id])})

    @app.get("/api/v2/users/<int:user_id>/tickets/requested.json")
    @app.get("/api/v2/users/<int:user_id>/tickets/requested")
    def requested_tickets(user_id: int):
        with state.lock:
            if user_id not in state.users:
                return _error(404, "Not found")
            tickets = [t for t in state.tickets.values() if t["requester_id"] == user_id]
            return jsonify(side_load_users(state, paged("tickets", "tickets", tickets), tickets))

    @app.get("/api/v2/search.json")
    @app.get("/api/v2/search")
    def search():
        query = request.args.get("query", "").strip()
        if not query:
            raise BadRequest("query is required")
        with state.lock:
            results = search_records(state, query)
        return jsonify({"results": results, "count": len(results), "next_page": None,
                        "previous_page": None, "facets": None})

    install_bulk_tickets(app, state)
    install_user_tags(app, state)
    install_schedules(app, state)
    install_incremental_export(app, state, export_limit_per_minute)
    install_ticket_fields(app, state)
    return app
