"""What the Zendesk stand-in knows, and how strictly it accepts a ticket.

Kept apart from the HTTP routes (``zendesk``) so the validation rules read on their own and
tests can seed and inspect the state directly (``app.extensions["zendesk_standin"]``).
"""
import itertools
import re
import threading
import time
from datetime import datetime, timezone

from connector.sandbox.common import CallLog, FaultPlan, RateLimiter
from connector.sandbox.zendesk_errors import RecordInvalid
from connector.sandbox.zendesk_fields import apply_custom_fields, check_custom_fields, sync_tagger_fields

PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("problem", "incident", "question", "task")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
IDEMPOTENCY_TTL = 2 * 3600.0
TICKET_FIELDS = {"subject", "raw_subject", "comment", "requester", "requester_id", "assignee_id",
                 "assignee_email", "group_id",
                 "type", "priority", "status", "tags", "due_at", "external_id", "custom_fields"}
UPDATE_ONLY_FIELDS = {"id", "additional_tags", "remove_tags"}
COMMENT_FIELDS = {"body", "html_body", "public", "author_id"}
REQUESTER_FIELDS = {"name", "email", "locale_id"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        self.schedules: list[dict] = []  # business hours, the default first (zendesk_schedules)
        self.holidays: dict[int, list[dict]] = {}  # schedule id -> its holidays
        self.export_limiter: RateLimiter | None = None  # the incremental export's own (zendesk_export)
        self.ticket_fields: dict[int, dict] = {}  # custom ticket fields (zendesk_fields)

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

    def seed_ticket(self, requester_email: str, created_at: datetime, status: str = "open",
                    updated_at: datetime | None = None) -> dict:
        """A customer's ticket from the past (tests): requester made if new, timestamps as given."""
        with self.lock:
            user = self.user_by_email(requester_email) or self.add_user(None, requester_email)
            ticket, _ = self.create_ticket({"subject": "Earlier request", "comment": {"body": "Help."},
                                            "requester_id": user["id"], "status": status}, author_id=user["id"])
            stamp = lambda at: at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
            ticket["created_at"], ticket["updated_at"] = stamp(created_at), stamp(updated_at or created_at)
            return ticket

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
        if "custom_fields" in data:
            try:
                changes["custom_fields"] = check_custom_fields(self, data["custom_fields"])
            except RecordInvalid as exc:
                errors.update(exc.details)
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
        values = changes.pop("custom_fields", [])
        changes["tags"] = list(dict.fromkeys(apply_custom_fields(self, tags, values)))
        if changes.get("type", ticket["type"]) != "task":
            changes["due_at"] = None
        if "subject" in changes:
            changes.setdefault("raw_subject", changes["subject"])
        for key, value in changes.items():
            if ticket.get(key) != value:
                events.append({"id": self.next_id(), "type": "Change", "field_name": key,
                               "value": value, "previous_value": ticket.get(key)})
            ticket[key] = value
        sync_tagger_fields(self, ticket, values)
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
