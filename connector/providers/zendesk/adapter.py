"""Zendesk side of a recovery case: one ticket per case, updated as it moves.

Idempotency, in three layers (a retried job must never open a second ticket):
1. the ledger: once ``zendesk.ticket`` is recorded, no call is made at all;
2. on a retry (``first_attempt=False``) the ticket is looked up by its
   ``external_id`` first, covering a crash between Zendesk's answer and the
   ledger write;
3. the create carries ``Idempotency-Key: <external_id>``, so Zendesk itself
   answers a replay within its 2-hour window with the original ticket.

The adapter is composed, not inherited: single tickets go through a ``TicketWriter``
(``writer``), several cases' tickets through ``BulkTickets`` (``bulk``), which uses
the same writer for its one-by-one creates. ``open_ticket`` is the bulk path with one case.
"""
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cachetools import TTLCache
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket

from connector.ports.batches import Outcomes, TicketOpen
from connector.ports.keys import ZENDESK_PROBLEM, followup_key
from connector.ports.snapshots import CaseSnapshot, EffectLedger
from connector.ports.ticket_history import TicketPage
from connector.providers.zendesk import export
from connector.providers.zendesk import ticket as tickets
from connector.providers.zendesk.bulk import BulkTickets
from connector.providers.zendesk.client import TIMEOUT_SECONDS, build_client, zendesk_errors
from connector.providers.zendesk.fields import CauseField
from connector.providers.zendesk.mapping import ZendeskMapping
from connector.providers.zendesk.writer import TicketWriter

log = logging.getLogger(__name__)


class ZendeskAdapter:
    def __init__(self, client: Zenpy, mapping: ZendeskMapping, base_url: str):
        self._client = client
        self.mapping = mapping
        self.base_url = base_url
        self._writer = TicketWriter(client)
        self._bulk = BulkTickets(client, mapping, self._writer, base_url)
        # (email, days) -> ticket count: a campaign asks about the same people again and again
        self._history: TTLCache[tuple[str, int], int] = TTLCache(maxsize=10_000, ttl=600)
        self._export_throttle: Callable[[], None] | None = None
        self._fields = CauseField(self._request, mapping)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], mapping: ZendeskMapping,
                    token_source: Any = None) -> "ZendeskAdapter":
        client, base_url = build_client(config, token_source)
        return cls(client, mapping, base_url)

    def set_throttle(self, throttle: Callable[[], None]) -> None:
        """Every request through this client first takes a token from ``throttle``."""
        self._client.tickets.session.get_adapter(self.base_url).throttle = throttle

    def set_export_throttle(self, throttle: Callable[[], None]) -> None:
        """The incremental export's own limit (10 a minute), taken before the account's."""
        self._export_throttle = throttle

    def export_tickets(self, cursor: str | None, start_time: datetime | None) -> TicketPage:
        """One page of the cursor-based incremental ticket export, requesters side-loaded."""
        if self._export_throttle is not None:
            self._export_throttle()
        return export.fetch_page(self._client.tickets.session.get, self.base_url, cursor=cursor,
                                 start_time=start_time)

    # Bulk-job polling waits, replaced in tests: they live on the bulk helper.
    @property
    def sleep(self) -> Callable[[float], None]:
        return self._bulk.sleep

    @sleep.setter
    def sleep(self, wait: Callable[[float], None]) -> None:
        self._bulk.sleep = wait

    @property
    def monotonic(self) -> Callable[[], float]:
        return self._bulk.monotonic

    @monotonic.setter
    def monotonic(self, clock: Callable[[], float]) -> None:
        self._bulk.monotonic = clock

    def ticket_url(self, ticket_id: int) -> str:
        return tickets.ticket_url(self.base_url, ticket_id)

    def find_ticket(self, external_id: str) -> int | None:
        return self._writer.find(external_id)

    def recent_ticket_count(self, email: str, days: int, now: datetime) -> int:
        """Tickets this requester opened in the last ``days`` (search API, cached 10 minutes)."""
        key = (email.lower(), days)
        if key not in self._history:
            since = (now - timedelta(days=days)).date()
            with zendesk_errors("ticket history search"):
                self._history[key] = sum(1 for _ in self._client.search(
                    type="ticket", requester=email, created_after=since))
        return self._history[key]

    def business_hours_schedule(self) -> Mapping[str, Any] | None:
        """The account's default schedule (Zendesk lists it first) as Zendesk gives it, with its
        ``holidays``; None when the account has none. zenpy 2.0.57 knows the schedules endpoint but
        exposes no API for it: its session (auth, base URL, throttle) is used directly."""
        schedules = self._get("business hours schedules", "/api/v2/business_hours/schedules.json").get("schedules") or []
        if not schedules:
            return None
        holidays = self._get("business hours holidays",
                             f"/api/v2/business_hours/schedules/{int(schedules[0]['id'])}/holidays.json")
        return {**schedules[0], "holidays": holidays.get("holidays") or []}

    def _get(self, operation: str, path: str) -> dict[str, Any]:
        return self._request(operation, "GET", path)

    def _request(self, operation: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """zenpy has no API for some endpoints: its session (auth, base URL, throttle) is used directly."""
        with zendesk_errors(operation):
            response = self._client.tickets.session.request(method, f"{self.base_url}{path}", json=body,
                                                            timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
        return answer

    def open_problem(self, external_id: str, subject: str, note: str, tags: Sequence[str], ledger: EffectLedger,
                     first_attempt: bool) -> int:
        """A ``problem`` ticket (a systemic issue), once: ledger, look-up on a retry, Idempotency-Key.
        No requester: Zendesk makes the connector's agent the requester, so no customer is mailed."""
        body = {"subject": subject, "comment": {"body": note, "public": False}, "type": "problem",
                "priority": "high", "tags": list(tags), "external_id": external_id}
        return self._writer.open_once(0, body, ZENDESK_PROBLEM, ledger, first_attempt)

    def tag_tickets(self, ticket_ids: Sequence[int], tags: Sequence[str], note: str) -> None:
        """The same tags and private note on several tickets: Update Many Tickets
        (``PUT /api/v2/tickets/update_many?ids=``, up to 100, a job polled to its end) from
        ``bulk.MIN_BULK`` tickets on, one update each below. Adding a tag twice changes nothing."""
        self._bulk.update_many(list(ticket_ids), {"additional_tags": list(tags),
                                                 "comment": {"body": note, "public": False}},
                               lambda ticket_id: self.update_ticket(ticket_id, tags_add=tags, note=note))

    def ensure_cause_field(self) -> int:
        """The "Recovery cause" drop-down's id, created (or given missing options) once per adapter."""
        return self._fields.ensure()

    def set_cause(self, ticket_id: int, cause_key: str) -> None:
        """Select the cause in the drop-down: Zendesk swaps its option tags (``cause_<key>``) itself."""
        field_id = self._fields.ensure()
        with zendesk_errors("ticket cause"):
            self._client.tickets.update(Ticket(id=ticket_id, custom_fields=[
                {"id": field_id, "value": self.mapping.cause_tag(cause_key)}]))
        log.info("Zendesk ticket %s cause set", ticket_id)

    def open_tickets(self, items: Sequence[TicketOpen], limit: int) -> Outcomes[int]:
        """The recovery ticket of every case: {key: ticket id or the case's error} (see ``bulk``)."""
        return self._bulk.open_tickets(items, limit)

    def open_ticket(self, case: CaseSnapshot, ledger: EffectLedger, first_attempt: bool) -> int:
        (result,) = self.open_tickets([TicketOpen(case.case_id, case, ledger, first_attempt)], 1).values()
        if isinstance(result, Exception):
            raise result
        return result

    def open_followup(self, case: CaseSnapshot, number: int, ledger: EffectLedger, first_attempt: bool) -> int:
        """A new ticket for the stages still ahead once the recovery ticket was solved or closed."""
        body = tickets.build_ticket(case, self.mapping)
        body["external_id"] = self.mapping.followup_external_id(case.case_id, number)
        body["subject"] = f"Follow-up {number}: {body['subject']}"
        previous = f"Follow-up of ticket #{case.zendesk_ticket_id}: the recovery protocol has stages left.\n\n"
        body["comment"] = {**body["comment"], "body": previous + body["comment"]["body"]}
        return self._writer.open_once(case.case_id, body, followup_key(number), ledger, first_attempt)

    def update_ticket(self, ticket_id: int, *, priority: str | None = None, due_at: datetime | None = None,
                      tags_add: Sequence[str] = (), note: str | None = None,
                      public_reply: str | None = None) -> None:
        """Change priority/due date, add tags (``additional_tags``), a private note or a public reply."""
        changes: dict[str, Any] = {}
        if priority is not None:
            changes["priority"] = self.mapping.priorities.get(priority, priority)
        if due_at is not None:
            changes["due_at"] = tickets.iso_z(due_at)
        if tags_add:
            changes["additional_tags"] = list(tags_add)
        if note:
            changes["comment"] = Comment(body=note, public=False)
        if public_reply:  # one comment per update: a reply is sent on its own
            changes["comment"] = Comment(body=public_reply, public=True)
        if not changes:
            return
        with zendesk_errors("ticket update"):
            self._client.tickets.update(Ticket(id=ticket_id, **changes))
        log.info("Zendesk ticket %s updated (%s)", ticket_id, ", ".join(sorted(changes)))

    # -- the customer's user (the ticket's requester): tags such as a priority-support grant
    def requester_of(self, ticket_id: int) -> int:
        with zendesk_errors("ticket read"):
            return int(self._client.tickets(id=ticket_id).requester_id)

    def user_email(self, user_id: int) -> str | None:
        """Show User (``GET /api/v2/users/{id}``): the requester's e-mail, None when they have none."""
        with zendesk_errors("user read"):
            email = self._client.users(id=user_id).email
        return str(email) if email else None

    def add_user_tags(self, user_id: int, tags: Sequence[str]) -> None:
        """Tags API, Add Tags (``PUT /api/v2/users/{id}/tags``): a tag already there stays once."""
        with zendesk_errors("user tags add"):
            self._client.users.add_tags(user_id, list(tags))
        log.info("Zendesk user %s tagged (%d tags)", user_id, len(tags))

    def remove_user_tags(self, user_id: int, tags: Sequence[str]) -> None:
        """Tags API, Remove Tags (``DELETE /api/v2/users/{id}/tags``): removing an absent tag is fine."""
        with zendesk_errors("user tags remove"):
            self._client.users.delete_tags(user_id, list(tags))
        log.info("Zendesk user %s untagged (%d tags)", user_id, len(tags))
