"""One ticket at a time: look it up by external id, create it with an Idempotency-Key.

Both the adapter (follow-ups) and ``bulk`` (a few cases, or one) open tickets through a
``TicketWriter``; it knows the zenpy client only, never the case or the mapping.
"""
import logging
from typing import Any

from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket, User

from connector.ports.snapshots import EffectLedger
from connector.providers.zendesk.client import ZendeskPermanentError, request_headers, zendesk_errors

log = logging.getLogger(__name__)


def zenpy_ticket(body: dict[str, Any]) -> Ticket:
    """The zenpy object for a ``POST /api/v2/tickets`` body (see ``ticket.build_ticket``)."""
    fields = dict(body)
    if "requester" in fields:
        fields["requester"] = User(**fields["requester"])
    return Ticket(comment=Comment(**fields.pop("comment")), **fields)


def _ticket_of(result: Any) -> Ticket:
    """``tickets.create`` answers a TicketAudit (ticket + audit) or a Ticket."""
    return getattr(result, "ticket", None) or result


class TicketWriter:
    def __init__(self, client: Zenpy):
        self._client = client

    def find(self, external_id: str) -> int | None:
        """The oldest ticket with ``external_id`` (``GET /api/v2/tickets?external_id=``).

        Not the search API: search is eventually consistent, this list is not.
        """
        with zendesk_errors("ticket lookup"):
            ids = [t.id for t in self._client.tickets(external_id=external_id)]
        return min(ids) if ids else None

    def create(self, case_id: int, body: dict[str, Any]) -> int:
        """Create the ticket; a replay of its external id within 2 hours answers the first ticket."""
        key = body["external_id"]
        try:
            with zendesk_errors("ticket create"), request_headers({"Idempotency-Key": key}):
                ticket_id: int = _ticket_of(self._client.tickets.create(zenpy_ticket(body))).id
        except ZendeskPermanentError as exc:
            # Same key, different body: an earlier attempt created the ticket from an
            # older snapshot of the case (Zendesk keeps keys for 2 hours).
            existing = self.find(key) if exc.code == "IdempotentRequestError" else None
            if existing is None:
                raise
            log.info("case %s: idempotency key already used, ticket %s", case_id, existing)
            return existing
        log.info("case %s: created Zendesk ticket %s", case_id, ticket_id)
        return ticket_id

    def open_once(self, case_id: int, body: dict[str, Any], ledger_key: str, ledger: EffectLedger,
                  first_attempt: bool) -> int:
        """The ticket recorded under ``ledger_key``, else found by external id on a retry, else created."""
        recorded = ledger.get(ledger_key)
        if recorded is not None:
            return int(recorded)
        ticket_id = None if first_attempt else self.find(body["external_id"])
        if ticket_id is not None:
            log.info("case %s: found existing Zendesk ticket %s", case_id, ticket_id)
        else:
            ticket_id = self.create(case_id, body)
        ledger.record(ledger_key, str(ticket_id))
        return ticket_id
