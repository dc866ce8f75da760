"""The work of several jobs handed to a vendor adapter in one call.

Each item carries ``key``, the caller's name for it (its job id). A batch method answers
``{key: result or that item's own exception}``, so one item's failure fails only its job.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, TypeVar

from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, EffectLedger

T = TypeVar("T")
Outcomes = dict[int, T | Exception]  # Outcomes[int]: a ticket id or the error, per job id


@dataclass(frozen=True)
class TicketOpen:
    """The recovery ticket of one case. ``first_attempt``: no earlier try can have half-landed."""
    key: int
    case: CaseSnapshot
    ledger: EffectLedger
    first_attempt: bool


class ContactId(str):
    """A contact id as a contact write answered it, and whether that write made the contact
    (HubSpot's ``new``): a contact made a moment ago has no company association to read yet,
    unless it was made with one (``company``: the company it was created associated with).
    A plain ``str`` where an adapter cannot tell; ``created_by_upsert`` then says None."""

    created: bool | None
    company: str | None
    owner: str | None  # its HubSpot owner as the write saw it: "" none, None not known (not read)

    def __new__(cls, value: str, created: bool | None = None, company: str | None = None,
                owner: str | None = None) -> "ContactId":
        contact_id = super().__new__(cls, value)
        contact_id.created, contact_id.company, contact_id.owner = created, company, owner
        return contact_id


def created_by_upsert(contact_id: str) -> bool | None:
    """True: the write that answered this id made the contact; None: not known (a plain id)."""
    return contact_id.created if isinstance(contact_id, ContactId) else None


def owner_at_write(contact_id: str) -> str | None:
    """The contact's ``hubspot_owner_id`` when the write saw it ("" for none: a contact the write
    made has no owner yet); None when the write did not read it."""
    return contact_id.owner if isinstance(contact_id, ContactId) else None


def created_with_company(contact_id: str) -> str | None:
    """The company the write that made this contact associated it with; None: none, or not known."""
    return contact_id.company if isinstance(contact_id, ContactId) and contact_id.created else None


@dataclass(frozen=True)
class ContactWrite:
    """The contact of one answer (and of its case, if it opened one)."""
    key: int
    answer: AnswerSnapshot
    case: CaseSnapshot | None = None
    ticket_url: str | None = None


@dataclass(frozen=True)
class CaseWrite:
    """Tasks or the note of one case. ``first_attempt``: no earlier try can have half-landed."""
    key: int
    case: CaseSnapshot
    contact_id: str
    ledger: EffectLedger
    first_attempt: bool
    text: str = ""  # the note's text


class TicketLink(NamedTuple):
    """The live ticket's URL for a contact; of several links to one contact the highest ``order`` wins."""
    key: int
    contact_id: str
    url: str
    order: tuple[int, int]  # (case id, ticket id): the newest case's, then its newest follow-up's


@dataclass(frozen=True)
class RepWrite:
    """The rep's heads-up (or closing note) of one case. ``owner_id``: for the closing note, the
    owner who was told when the case opened; for the heads-up, None (read from the contact)."""
    key: int
    case: CaseSnapshot
    contact_id: str
    ledger: EffectLedger
    first_attempt: bool
    owner_id: str | None = None
    at: datetime | None = None  # when it happened (the closing note's time on the timeline)


class RepTold(NamedTuple):
    """Who got the heads-up: the contact's owner, or (``fallback``) the routing owner."""
    task_id: str
    owner_id: str | None
    fallback: bool
