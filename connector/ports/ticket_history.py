"""What the Zendesk incremental ticket export hands the ticket-history index: a page of tickets,
the requesters' e-mails side-loaded with them, and where to continue."""
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TicketRecord:
    """The few fields of a ticket the history needs (never its subject, comments or tags)."""

    ticket_id: int
    requester_id: int | None
    created_at: datetime
    updated_at: datetime | None = None
    status: str | None = None


@dataclass(frozen=True)
class TicketPage:
    tickets: tuple[TicketRecord, ...]
    after_cursor: str | None  # kept even at the end of the stream: the next pull starts there
    end_of_stream: bool
    emails: dict[int, str | None] = field(default_factory=dict)  # requester id -> e-mail


# The job that pulls a tenant's export (backfill, then increments); enqueued at install, at start
# and periodically (``cases.ticket_index``). One at a time per tenant.
PULL_KIND = "zendesk.ticket_index"


def pull_dedupe_key(tenant_id: str, period: int | str) -> str:
    return f"{PULL_KIND}:{tenant_id}:{period}"
