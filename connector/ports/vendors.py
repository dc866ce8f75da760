"""What the use cases call on a tenant's vendors: ``rt.zendesk``, ``rt.hubspot``, ``rt.chat``,
and the survey tools that send a re-survey (``rt.resurvey_senders()``).

Exactly the members the use cases, the UI and the runtime use, no more: an adapter (or a
fake, or another vendor) fits wherever it has these. The adapters in ``connector.providers``
satisfy them structurally; ``tests/test_ports.py`` checks each member and its parameters.
Every batch method answers ``{item key: result or that item's exception}`` (see ``batches``).
"""
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from connector.domain.account import CompanyRollup
from connector.ports.batches import CaseWrite, ContactWrite, Outcomes, RepTold, RepWrite, TicketLink, TicketOpen
from connector.ports.snapshots import (
    AnswerSnapshot,
    CaseSnapshot,
    EffectLedger,
    OwnerTask,
    PromiseSnapshot,
    ResurveyRequest,
)
from connector.ports.ticket_history import TicketPage

# Called before every vendor request: waits for a token of the account's shared rate
# limit, or raises RetryableError so the job goes back to the queue.
Throttle = Callable[[], None]


@runtime_checkable
class TicketMapping(Protocol):
    """How recovery tickets are recognised: the stage done tags and the external id."""

    def done_tag(self, stage_key: str) -> str: ...

    def stage_of_tag(self, tag: str) -> str | None: ...

    def case_id_of(self, external_id: str | None) -> int | None: ...

    def cause_of_tag(self, tag: str) -> str | None: ...


@runtime_checkable
class ZendeskPort(Protocol):
    """One recovery ticket per case (and follow-ups), kept up to date; tags on its requester."""

    @property
    def mapping(self) -> TicketMapping: ...

    def set_throttle(self, throttle: Throttle) -> None: ...

    def ticket_url(self, ticket_id: int) -> str: ...

    def recent_ticket_count(self, email: str, days: int, now: datetime) -> int: ...

    def set_export_throttle(self, throttle: Throttle) -> None: ...

    def export_tickets(self, cursor: str | None, start_time: datetime | None) -> TicketPage: ...

    def open_tickets(self, items: Sequence[TicketOpen], limit: int) -> Outcomes[int]: ...

    def open_followup(self, case: CaseSnapshot, number: int, ledger: EffectLedger, first_attempt: bool) -> int: ...

    def update_ticket(self, ticket_id: int, *, priority: str | None = None, due_at: datetime | None = None,
                      tags_add: Sequence[str] = (), note: str | None = None,
                      public_reply: str | None = None) -> None: ...

    def ensure_cause_field(self) -> int: ...

    def tag_tickets(self, ticket_ids: Sequence[int], tags: Sequence[str], note: str) -> None: ...

    def open_problem(self, external_id: str, subject: str, note: str, tags: Sequence[str], ledger: EffectLedger,
                     first_attempt: bool) -> int: ...

    def set_cause(self, ticket_id: int, cause_key: str) -> None: ...

    def requester_of(self, ticket_id: int) -> int: ...

    def user_email(self, user_id: int) -> str | None: ...

    def add_user_tags(self, user_id: int, tags: Sequence[str]) -> None: ...

    def remove_user_tags(self, user_id: int, tags: Sequence[str]) -> None: ...
    def business_hours_schedule(self) -> Mapping[str, Any] | None:
        """The account's default schedule as Zendesk gives it (``time_zone``, ``intervals``, ``holidays``);
        None: none set."""
        ...


@runtime_checkable
class HubSpotPort(Protocol):
    """The customer's contact properties, a task per stage, and a note for the rep."""

    def set_throttle(self, throttle: Throttle) -> None: ...

    def upsert_contacts(self, writes: Sequence[ContactWrite], limit: int,
                        known_domains: Mapping[str, str] | None = None) -> Outcomes[str]: ...

    def upsert_contact(self, answer: AnswerSnapshot, case: CaseSnapshot | None = None,
                       ticket_url: str | None = None) -> str: ...

    def create_case_tasks(self, writes: Sequence[CaseWrite], limit: int) -> Outcomes[dict[str, str]]: ...

    def create_promise_tasks(self, case: CaseSnapshot, contact_id: str, promises: Sequence[PromiseSnapshot],
                             ledger: EffectLedger, first_attempt: bool) -> dict[int, str]: ...

    def add_case_notes(self, writes: Sequence[CaseWrite], limit: int) -> Outcomes[str]: ...

    def tell_reps(self, writes: Sequence[RepWrite], limit: int) -> Outcomes[RepTold]: ...

    def add_rep_notes(self, writes: Sequence[RepWrite], limit: int) -> Outcomes[str]: ...

    def set_ticket_urls(self, links: Sequence[TicketLink], limit: int) -> Outcomes[None]: ...

    def create_closing_task(self, case: CaseSnapshot, contact_id: str, task: OwnerTask, ledger: EffectLedger,
                            first_attempt: bool) -> str: ...

    def complete_task(self, task_id: str) -> None: ...

    def create_owner_task(self, owner: str | None, subject: str, body: str, key: str, due_at: datetime,
                          contact_id: str | None = None) -> str: ...

    def lifetime_value(self, email: str, source: Mapping[str, str]) -> float | None: ...

    def companies_of(self, contacts: Mapping[str, str], known_domains: Mapping[str, str] | None = None,
                     may_create: Callable[[list[str]], set[str]] | None = None,
                     created: Collection[str] = ()) -> dict[str, str | None]: ...

    def update_company_rollups(self, rollups: Mapping[str, CompanyRollup], limit: int) -> dict[str, None | Exception]: ...


@runtime_checkable
class ChatPort(Protocol):
    """The team chat's incoming webhook."""

    def post(self, text: str) -> None: ...


@runtime_checkable
class ResurveyPort(Protocol):
    """A survey tool (or the tool behind the outbound webhook) asked to send a case's re-survey."""

    @property
    def channel(self) -> str: ...

    def request_resurvey(self, request: ResurveyRequest, first_attempt: bool) -> str: ...
