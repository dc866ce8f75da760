"""Strict local stand-in of the Zendesk Support API, for sandbox mode and e2e tests.

Covers what the connector uses, answering in the shapes zenpy parses:
``POST/GET /api/v2/tickets``, ``GET/PUT /api/v2/tickets/{id}``, ticket comments,
users, a user's requested tickets, a minimal ``/api/v2/search``, and bulk creation with
its job statuses (``zendesk_jobs``). Like the real
API it wants basic auth ``{email}/token:{api_token}``, rejects unknown fields
and enum values with ``422 RecordInvalid``, honours ``Idempotency-Key`` on
ticket creation (``x-idempotency-lookup: hit|miss``, 2-hour window) and, with
a rate limit, answers ``429`` with ``Retry-After`` (per account).
"""
import hashlib
import itertools
import json
import re
import shlex
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Flask, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException

from connector.sandbox.common import CallLog, FaultPlan, RateLimiter, install_guards
from connector.sandbox.zendesk_jobs import install_bulk_tickets

STANDIN_EMAIL = "agent@sandbox.example"
STANDIN_API_TOKEN = "sandbox-zendesk-token"
PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("problem", "incident", "question", "task")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
IDEMPOTENCY_TTL = 2 * 3600.0
TICKET_FIELDS = {"subject", "raw_subject", "comment", "requester", "requester_id", "assignee_id",
                 "assignee_email", "group_id",
                 "type", "priority", "status", "tags", "due_at", "external_id"}
UPDATE_ONLY_FIELDS = {"id", "additional_tags", "remove_tags"}
COMMENT_FIELDS = {"body", "html_body", "public", "author_id"}
REQUESTER_FIELDS = {"name", "email", "locale_id"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ERRORS = {400: "BadRequest", 401: "Couldn't authenticate you", 403: "Forbidden",
           404: "RecordNotFound", 409: "Conflict", 422: "RecordInvalid", 429: "TooManyRequests"}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_body(status: int, message: str) -> dict:
    if status == 401:
        return {"error": _ERRORS[401]}
    return {"error": _ERRORS.get(status, "InternalServerError"), "description": message}


class RecordInvalid(Exception):
    def __init__(self, details: dict[str, str]):
        super().__init__("Record validation errors")
        self.details = details

    def body(self) -> dict:
        return {"error": "RecordInvalid", "description": "Record validation errors",
                "details": {k: [{"description": v, "error": "InvalidValue"}]
                            for k, v in self.details.items()}}


class ZendeskStandinState:
    """Everything the stand-in knows; tests read and seed it directly."""

    def __init__(self, rate_limit_per_minute: int | None, email: str, api_token: str):
        self.tickets: dict[int, dict] = {}
        self.users: dict[int, dict] = {}
        self.comments: dict[int, list[dict]] = {}
        self.idempotency: dict[str, tuple[str, float, dict]] = {}
        self.faults = FaultPlan()
        self.calls = CallLog()
        self.limiter = RateLimiter(rate_limit_per_minute, 60.0)
        self.email, self.api_token = email, api_token
        self.lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.agent = self.add_user("Sandbox Agent", email, role="admin")
        self.groups: dict[int, dict] = {}

    def add_group(self, group_id: int, name: str) -> dict:
        with self.lock:
            self.groups[group_id] = {"id": group_id, "name": name}
            return self.groups[group_id]

    def seed_agents(self, routing) -> None:
        """Make the routed owners agents (and their groups exist), as an admin would."""
        for owners in routing.tiers.values():
            for owner in owners:
                if owner.zendesk_group_id is not None:
                    self.add_group(owner.zendesk_group_id, f"Group {owner.zendesk_group_id}")
                email = owner.zendesk_assignee_email
                if email and self.user_by_email(email) is None:
                    self.add_user(owner.name, email, role="agent")

    def next_id(self) -> int:
        return next(self._ids)

    def add_user(self, name: str | None, email: str, role: str = "end-user") -> dict:
        with self.lock:
            now = _now()
            user = {"id": self.next_id(), "name": name or email.split("@")[0], "email": email,
                    "role": role, "created_at": now, "updated_at": now, "active": True,
                    "verified": False, "locale": "en-US", "time_zone": "UTC", "tags": [],
                    "external_id": None, "organization_id": None, "suspended": False,
                    "user_fields": {}}
            self.users[user["id"]] = user
            return user

    def user_by_email(self, email: str) -> dict | None:
        return next((u for u in self.users.values() if u["email"].lower() == email.lower()), None)

    def create_ticket(self, data: dict, author_id: int | None = None) -> tuple[dict, dict]:
        """Validate ``data`` (a ticket create body) and store it; returns (ticket, audit)."""
        with self.lock:
            changes, comment = self._validate(data, None)
            if comment is None:
                raise RecordInvalid({"base": "Description: cannot be blank"})
            now, author = _now(), author_id or self.agent["id"]
            ticket = {"id": self.next_id(), "created_at": now, "updated_at": now, "type": None,
                      "subject": None, "raw_subject": None, "description": comment["body"],
                      "priority": None, "status": "new", "requester_id": author,
                      "submitter_id": author, "assignee_id": None, "organization_id": None,
                      "group_id": None, "collaborator_ids": [], "follower_ids": [],
                      "external_id": None, "due_at": None, "tags": [], "custom_fields": [],
                      "is_public": bool(comment["public"]), "via": {"channel": "api"},
                      "has_incidents": False, "satisfaction_rating": None}
            self.tickets[ticket["id"]] = ticket
            self.comments[ticket["id"]] = []
            return ticket, self._apply(ticket, changes, comment, author)

    def update_ticket(self, ticket_id: int, data: dict, author_id: int | None = None):
        with self.lock:
            ticket = self.tickets[ticket_id]
            if ticket["status"] == "closed":
                raise RecordInvalid({"status": "Status: closed prevents ticket update"})
            changes, comment = self._validate(data, ticket)
            ticket["updated_at"] = _now()
            return ticket, self._apply(ticket, changes, comment, author_id or self.agent["id"])

    def _validate(self, data: dict, ticket: dict | None) -> tuple[dict, dict | None]:
        errors, changes, comment = {}, {}, None
        allowed = TICKET_FIELDS | (UPDATE_ONLY_FIELDS if ticket else set())
        for key in sorted(set(data) - allowed):
            errors[key] = f"{key}: is not a valid ticket attribute"
        for key, choices in (("priority", PRIORITIES), ("type", TYPES), ("status", STATUSES)):
            nullable = key != "status"
            if key in data and not (data[key] in choices or (data[key] is None and nullable)):
                errors[key] = f"{key.capitalize()}: {data[key]!r} is not valid"
            elif key in data:
                changes[key] = data[key]
        for key in ("tags", "additional_tags", "remove_tags"):
            if key in data:
                value = data[key]
                if isinstance(value, str):
                    value = value.split()
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    errors[key] = f"{key}: must be a list of strings"
                else:
                    changes[key] = list(dict.fromkeys(
                        part.lower() for tag in value for part in tag.split()))
        for key in ("subject", "raw_subject", "external_id"):
            if key in data and data[key] is not None and not isinstance(data[key], str):
                errors[key] = f"{key}: must be a string"
            elif key in data:
                changes[key] = data[key]
        for key in ("requester_id", "assignee_id"):
            if key in data and data[key] is not None and data[key] not in self.users:
                errors[key] = f"{key}: user {data[key]} not found"
            elif key in data:
                changes[key] = data[key]
        if "assignee_email" in data:  # write-only in Zendesk: resolved to an agent's id
            agent = self.user_by_email(str(data["assignee_email"] or ""))
            if agent is None or agent["role"] not in ("agent", "admin"):
                errors["assignee_email"] = "Assignee: is not an agent of this account"
            else:
                changes["assignee_id"] = agent["id"]
        if "group_id" in data and data["group_id"] is not None:
            if data["group_id"] not in self.groups:
                errors["group_id"] = "Group: is invalid"
            else:
                changes["group_id"] = data["group_id"]
        if "id" in data and ticket is not None and data["id"] != ticket["id"]:
            errors["id"] = "id: does not match the ticket"
        if "due_at" in data and data["due_at"] is not None:
            try:
                datetime.fromisoformat(str(data["due_at"]).replace("Z", "+00:00"))
                changes["due_at"] = data["due_at"]
            except ValueError:
                errors["due_at"] = "Due at: is not a valid ISO 8601 date"
            if changes.get("type", (ticket or {}).get("type")) != "task":
                errors["due_at"] = "Due at: can only be set on tickets of type task"
        elif "due_at" in data:
            changes["due_at"] = None
        if "requester" in data:
            requester = data["requester"]
            if not isinstance(requester, dict) or set(requester) - REQUESTER_FIELDS:
                errors["requester"] = f"Requester: only {sorted(REQUESTER_FIELDS)} are accepted"
            elif not _EMAIL.match(str(requester.get("email") or "")):
                errors["requester"] = "Requester: Email is not properly formatted"
            else:
                changes["requester"] = requester
        if "comment" in data:
            raw = data["comment"]
            if not isinstance(raw, dict) or set(raw) - COMMENT_FIELDS:
                errors["comment"] = f"Comment: only {sorted(COMMENT_FIELDS)} are accepted"
            elif not (raw.get("body") or raw.get("html_body")):
                errors["comment"] = "Comment: cannot be blank"
            else:
                comment = {"body": raw.get("body") or re.sub(r"<[^>]+>", "", raw["html_body"]),
                           "html_body": raw.get("html_body"), "public": raw.get("public", True)}
        if errors:
            raise RecordInvalid(errors)
        return changes, comment

    def _apply(self, ticket: dict, changes: dict, comment: dict | None, author_id: int) -> dict:
        audit_id, events = self.next_id(), []
        if "requester" in changes:
            requester = changes.pop("requester")
            user = self.user_by_email(requester["email"]) or self.add_user(
                requester.get("name"), requester["email"])
            changes["requester_id"] = user["id"]
        tags = changes.pop("tags", ticket["tags"])
        tags = [t for t in tags + changes.pop("additional_tags", []) if t not in changes.get(
            "remove_tags", [])]
        changes.pop("remove_tags", None)
        changes["tags"] = list(dict.fromkeys(tags))
        if changes.get("type", ticket["type"]) != "task":
            changes["due_at"] = None
        if "subject" in changes:
            changes.setdefault("raw_subject", changes["subject"])
        for key, value in changes.items():
            if ticket.get(key) != value:
                events.append({"id": self.next_id(), "type": "Change", "field_name": key,
                               "value": value, "previous_value": ticket.get(key)})
            ticket[key] = value
        if comment is not None:
            stored = {"id": self.next_id(), "type": "Comment", "author_id": author_id,
                      "body": comment["body"], "html_body": comment["html_body"] or
                      f"<p>{comment['body']}</p>", "plain_body": comment["body"],
                      "public": bool(comment["public"]), "attachments": [], "audit_id": audit_id,
                      "via": {"channel": "api"}, "created_at": _now(), "metadata": {}}
            self.comments[ticket["id"]].append(stored)
            events.insert(0, {k: stored[k] for k in ("id", "type", "author_id", "body", "public")})
        return {"id": audit_id, "ticket_id": ticket["id"], "created_at": _now(),
                "author_id": author_id, "via": {"channel": "api"}, "metadata": {}, "events": events}

    def idempotency_lookup(self, key: str, fingerprint: str) -> tuple[str, dict | None]:
        """``("miss", None)``, ``("hit", stored answer)`` or ``("conflict", None)``."""
        entry = self.idempotency.get(key)
        if entry is None or entry[1] < time.monotonic():
            self.idempotency.pop(key, None)
            return "miss", None
        return ("hit", entry[2]) if entry[0] == fingerprint else ("conflict", None)

    def remember(self, key: str, fingerprint: str, answer: dict) -> None:
        self.idempotency[key] = (fingerprint, time.monotonic() + IDEMPOTENCY_TTL, answer)


def _error(status: int, message: str, **extra):
    return jsonify({**error_body(status, message), **extra}), status


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None


def _out(kind: str | None, record: dict) -> dict:
    """A stored record as answered, with its API ``url`` (comments have none)."""
    if kind is None:
        return dict(record)
    return dict(record, url=f"{request.url_root}api/v2/{kind}/{record['id']}.json")


def _page(key: str, kind: str | None, items: list[dict]) -> dict:
    """Cursor pagination when ``page[size]`` is sent (zenpy does), offset pagination otherwise."""
    items = sorted(items, key=lambda i: i["id"])
    args = {k: v for k, v in request.args.items() if k not in ("page[after]", "page")}
    if "page[size]" in request.args:
        size = max(1, min(_int_arg("page[size]", 100), 100))
        if "page[after]" in request.args:
            after = _int_arg("page[after]", 0)
            items = [i for i in items if i["id"] > after]
        page, more = items[:size], len(items) > size
        cursor = str(page[-1]["id"]) if page else None
        nxt = f"{request.base_url}?{urlencode({**args, 'page[after]': cursor})}" if more else None
        return {key: [_out(kind, i) for i in page],
                "meta": {"has_more": more, "after_cursor": cursor,
                         "before_cursor": str(page[0]["id"]) if page else None},
                "links": {"next": nxt, "prev": None}}
    per_page = max(1, min(_int_arg("per_page", 100), 100))
    number = max(1, _int_arg("page", 1))
    chunk = items[(number - 1) * per_page:number * per_page]
    link = lambda n: f"{request.base_url}?{urlencode({**args, 'page': n})}"  # noqa: E731
    return {key: [_out(kind, i) for i in chunk],
            "next_page": link(number + 1) if number * per_page < len(items) else None,
            "previous_page": link(number - 1) if number > 1 else None, "count": len(items)}


def _side_load(state: ZendeskStandinState, body: dict, tickets: list[dict]) -> dict:
    if "users" in request.args.get("include", "").split(","):
        keys = ("requester_id", "submitter_id", "assignee_id")
        ids = {t[k] for t in tickets for k in keys if t[k]}
        body["users"] = [_out("users", state.users[i]) for i in sorted(ids)]
    return body


def _search(state: ZendeskStandinState, query: str) -> list[dict]:
    """``type:ticket external_id:X``, ``type:user email:X``, ``requester:``, ``tags:``, words."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        raise BadRequest("unbalanced quotes in query") from None
    kind, terms = "ticket", []
    for token in tokens:
        bound = re.fullmatch(r"(created|updated)([<>])(\S+)", token)
        if bound:  # created>2026-08-24: Zendesk compares dates at day precision
            terms.append((f"{bound.group(1)}_at{bound.group(2)}", bound.group(3)[:10]))
            continue
        key, sep, value = token.partition(":")
        if sep and key == "type":
            kind = value
        else:
            terms.append((key, value.lower()) if sep else (None, token.lower()))

    def matches(record: dict, key: str | None, value: str) -> bool:
        if key is None:
            return any(value in str(record.get(f) or "").lower()
                       for f in ("subject", "description", "name", "email"))
        if key == "requester":
            user = state.users.get(record.get("requester_id")) or {}
            return value in (str(user.get("email", "")).lower(), str(user.get("id")))
        if key.endswith(("_at>", "_at<")):
            day = str(record.get(key[:-1]) or "")[:10]
            return day > value if key.endswith(">") else day < value
        if key in ("tags", "tag"):
            return value in record.get("tags", [])
        if key in ("external_id", "email", "status", "priority", "name"):
            return str(record.get(key) or "").lower() == value
        return False

    pool = {"ticket": state.tickets, "user": state.users}.get(kind, {})
    found = [r for r in pool.values() if all(matches(r, k, v) for k, v in terms)]
    found.sort(key=lambda r: r["id"])
    return [dict(_out(f"{kind}s", r), result_type=kind) for r in found]


def create_zendesk_standin(rate_limit_per_minute: int | None = None, *,
                           email: str = STANDIN_EMAIL, api_token: str = STANDIN_API_TOKEN,
                           bearer_check=None) -> Flask:
    """A Flask app answering like Zendesk; its state is ``app.extensions["zendesk_standin"]``.

    ``bearer_check(token)`` (optional) judges an OAuth ``Authorization: Bearer`` token:
    None lets the call through, anything else is answered as the refusal.
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
            answer = {"ticket": _out("tickets", ticket), "audit": audit}
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
            return jsonify(_side_load(state, _page("tickets", "tickets", tickets), tickets))

    @app.route("/api/v2/tickets/<int:ticket_id>.json", methods=["GET", "PUT"])
    @app.route("/api/v2/tickets/<int:ticket_id>", methods=["GET", "PUT"])
    def one_ticket(ticket_id: int):
        with state.lock:
            if ticket_id not in state.tickets:
                return _error(404, "Not found")
            if request.method == "GET":
                ticket = state.tickets[ticket_id]
                return jsonify(_side_load(state, {"ticket": _out("tickets", ticket)}, [ticket]))
            payload = ticket_payload()
            try:
                ticket, audit = state.update_ticket(ticket_id, payload["ticket"])
            except RecordInvalid as exc:
                return jsonify(exc.body()), 422
            return jsonify({"ticket": _out("tickets", ticket), "audit": audit})

    @app.get("/api/v2/tickets/<int:ticket_id>/comments.json")
    @app.get("/api/v2/tickets/<int:ticket_id>/comments")
    def ticket_comments(ticket_id: int):
        with state.lock:
            if ticket_id not in state.tickets:
                return _error(404, "Not found")
            return jsonify(_page("comments", None, list(state.comments[ticket_id])))

    @app.get("/api/v2/users/<int:user_id>.json")
    @app.get("/api/v2/users/<int:user_id>")
    def one_user(user_id: int):
        with state.lock:
            if user_id not in state.users:
                return _error(404, "Not found")
            return jsonify({"user": _out("users", state.users[user_id])})

    @app.get("/api/v2/users/<int:user_id>/tickets/requested.json")
    @app.get("/api/v2/users/<int:user_id>/tickets/requested")
    def requested_tickets(user_id: int):
        with state.lock:
            if user_id not in state.users:
                return _error(404, "Not found")
            tickets = [t for t in state.tickets.values() if t["requester_id"] == user_id]
            return jsonify(_side_load(state, _page("tickets", "tickets", tickets), tickets))

    @app.get("/api/v2/search.json")
    @app.get("/api/v2/search")
    def search():
        query = request.args.get("query", "").strip()
        if not query:
            raise BadRequest("query is required")
        with state.lock:
            results = _search(state, query)
        return jsonify({"results": results, "count": len(results), "next_page": None,
                        "previous_page": None, "facets": None})

    install_bulk_tickets(app, state)
    return app
