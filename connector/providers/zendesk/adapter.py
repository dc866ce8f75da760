"""Zendesk side of a recovery case: one ticket per case, updated as it moves.

Idempotency, in three layers (a retried job must never open a second ticket):
1. the ledger: once ``zendesk.ticket`` is recorded, no call is made at all;
2. on a retry (``first_attempt=False``) the ticket is looked up by its
   ``external_id`` first, covering a crash between Zendesk's answer and the
   ledger write;
3. the create carries ``Idempotency-Key: <external_id>``, so Zendesk itself
   answers a replay within its 2-hour window with the original ticket.

Several cases' tickets at once (``open_tickets``, bulk creation) are in ``bulk``;
``open_ticket`` is that code with one case.
"""
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from cachetools import TTLCache

from zenpy.lib.api_objects import Comment, Ticket

from connector.ports.keys import followup_key
from connector.ports.snapshots import CaseSnapshot, EffectLedger
from connector.providers.zendesk import ticket as tickets
from connector.providers.zendesk.bulk import BulkTickets, TicketOpen, zenpy_ticket
from connector.providers.zendesk.client import (ZendeskPermanentError, build_client,
                                                request_headers, zendesk_errors)
from connector.providers.zendesk.mapping import ZendeskMapping

log = logging.getLogger(__name__)


def _ticket_of(result) -> Ticket:
    """``tickets.create``/``update`` answer a TicketAudit (ticket + audit) or a Ticket."""
    return getattr(result, "ticket", None) or result


class ZendeskAdapter(BulkTickets):
    def __init__(self, client, mapping: ZendeskMapping, base_url: str):
        self._client = client
        self.mapping = mapping
        self.base_url = base_url
        self._history = TTLCache(maxsize=10_000, ttl=600)  # a campaign asks about the same people

    @classmethod
    def from_config(cls, config: Mapping, mapping: ZendeskMapping, token_source=None) -> "ZendeskAdapter":
        client, base_url = build_client(config, token_source)
        return cls(client, mapping, base_url)

    def set_throttle(self, throttle) -> None:
        """Every request through this client first takes a token from ``throttle``."""
        self._client.tickets.session.get_adapter(self.base_url).throttle = throttle

    def ticket_url(self, ticket_id: int) -> str:
        return tickets.ticket_url(self.base_url, ticket_id)

    def find_ticket(self, external_id: str) -> int | None:
        """The oldest ticket with ``external_id`` (``GET /api/v2/tickets?external_id=``).

        Not the search API: search is eventually consistent, this list is not.
        """
        with zendesk_errors("ticket lookup"):
            ids = [t.id for t in self._client.tickets(external_id=external_id)]
        return min(ids) if ids else None

    def recent_ticket_count(self, email: str, days: int, now: datetime) -> int:
        """Tickets this requester opened in the last ``days`` (search API, cached 10 minutes)."""
        key = (email.lower(), days)
        if key not in self._history:
            since = (now - timedelta(days=days)).date()
            with zendesk_errors("ticket history search"):
                self._history[key] = sum(1 for _ in self._client.search(
                    type="ticket", requester=email, created_after=since))
        return self._history[key]

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
        return self._open(case, body, followup_key(number), ledger, first_attempt)

    def _open(self, case: CaseSnapshot, body: dict, ledger_key: str, ledger: EffectLedger,
              first_attempt: bool) -> int:
        recorded = ledger.get(ledger_key)
        if recorded is not None:
            return int(recorded)
        key = body["external_id"]
        ticket_id = None if first_attempt else self.find_ticket(key)
        if ticket_id is not None:
            log.info("case %s: found existing Zendesk ticket %s", case.case_id, ticket_id)
        else:
            ticket_id = self._create(case.case_id, body, key)
        ledger.record(ledger_key, str(ticket_id))
        return ticket_id

    def _create(self, case_id: int, body: dict, key: str) -> int:
        ticket = zenpy_ticket(body)
        try:
            with zendesk_errors("ticket create"), request_headers({"Idempotency-Key": key}):
                ticket_id = _ticket_of(self._client.tickets.create(ticket)).id
        except ZendeskPermanentError as exc:
            # Same key, different body: an earlier attempt created the ticket from an
            # older snapshot of the case (Zendesk keeps keys for 2 hours).
            existing = self.find_ticket(key) if exc.code == "IdempotentRequestError" else None
            if existing is None:
                raise
            log.info("case %s: idempotency key already used, ticket %s", case_id, existing)
            return existing
        log.info("case %s: created Zendesk ticket %s", case_id, ticket_id)
        return ticket_id

    def update_ticket(self, ticket_id: int, *, priority: str | None = None,
                      due_at: datetime | None = None, tags_add=(), note: str | None = None,
                      public_reply: str | None = None) -> None:
        """Change priority/due date, add tags (``additional_tags``), a private note or a public reply."""
        changes = {}
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
