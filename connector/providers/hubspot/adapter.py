"""HubSpot side of a recovery case: contact properties and one task per REACT stage.

Every method is idempotent: the contact is upserted by e-mail, and stage tasks
are recorded in the ledger one by one; after a crash between HubSpot's answer
and ``ledger.record`` (``first_attempt`` False) the tasks already created are
found again by their natural key before anything new is created.

The adapter is composed of one object per kind of write, each given what it needs:
``ContactWrites`` (contacts, ticket links), ``TaskWrites``, ``NoteWrites``, over a
``ContactSchema`` and ``Lookups`` (owners, natural-key searches). They write several
cases per call; the one-case methods here are that code with a batch of one, so both
paths behave alike.
"""
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from connector.domain.account import CompanyRollup
from connector.ports.batches import CaseWrite, ContactWrite, Outcomes, RepTold, RepWrite, TicketLink
from connector.ports.errors import PermanentError
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, EffectLedger, OwnerTask, PromiseSnapshot
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.companies import CompanyWrites
from connector.providers.hubspot.contacts import ContactWrites
from connector.providers.hubspot.lookups import Lookups
from connector.providers.hubspot.mapping import HubSpotMapping, load_hubspot_mapping
from connector.providers.hubspot.notes import NoteWrites
from connector.providers.hubspot.owner_tasks import OwnerTaskWrites
from connector.providers.hubspot.promise_tasks import PromiseTaskWrites
from connector.providers.hubspot.rep import RepWrites
from connector.providers.hubspot.schema import ContactSchema
from connector.providers.hubspot.tasks import StageTasks, TaskWrites

log = logging.getLogger(__name__)

VENDOR_BATCH_LIMIT = 100  # one case's eight tasks always fit one call
T = TypeVar("T")


def _one(outcomes: Outcomes[T]) -> T:
    """The single item's result of a batch method, or its error raised."""
    (result,) = outcomes.values()
    if isinstance(result, Exception):
        raise result
    return result


class HubSpotAdapter:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping):
        self.client = client
        self.mapping = mapping
        self._schema = ContactSchema(client, mapping)
        self._lookups = Lookups(client)
        self._contacts = ContactWrites(client, mapping, self._schema)
        self._tasks = TaskWrites(client, mapping, self._lookups)
        self._notes = NoteWrites(client, self._lookups)
        self._owner_tasks = OwnerTaskWrites(client, self._lookups)
        self._promises = PromiseTaskWrites(client, mapping, self._lookups)
        self._reps = RepWrites(client, self._lookups)
        self._companies = CompanyWrites(client, mapping)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], mapping: HubSpotMapping | None = None) -> "HubSpotAdapter":
        return cls(HubSpotClient.from_config(config), mapping or load_hubspot_mapping())

    def set_throttle(self, throttle: Callable[[], None]) -> None:
        """Every SDK call first takes a token from ``throttle``."""
        self.client.throttle = throttle

    def ensure_schema(self) -> None:
        """Create the property group and any missing contact property; once per instance."""
        self._schema.ensure()

    def resolve_owner(self, owner: str | None) -> str | None:
        """HubSpot owner id for a routing result (an owner id, or a user's e-mail)."""
        return self._lookups.owner_id(owner)

    # -- contacts ------------------------------------------------------------
    def upsert_contacts(self, writes: Sequence[ContactWrite], limit: int,
                        known_domains: Mapping[str, str] | None = None) -> Outcomes[str]:
        """``known_domains``: domain -> company id the store knows; a contact made now is made with it."""
        return self._contacts.upsert_contacts(writes, limit, known_domains)

    def upsert_contact(self, answer: AnswerSnapshot, case: CaseSnapshot | None = None,
                       ticket_url: str | None = None) -> str:
        """Create or update the contact (by e-mail); return its HubSpot id."""
        return _one(self.upsert_contacts([ContactWrite(answer.answer_id, answer, case, ticket_url)], 1))

    def set_ticket_urls(self, links: Sequence[TicketLink], limit: int) -> Outcomes[None]:
        return self._contacts.set_ticket_urls(links, limit)

    def set_ticket_url(self, contact_id: str, url: str) -> None:
        self.ensure_schema()
        name = self.mapping.name("recovery_zendesk_ticket_url")
        self.client.call("contact update", self.client.contacts.update, contact_id,
                         {"properties": {name: url}})
        log.info("hubspot contact %s: ticket url set", contact_id)

    def lifetime_value(self, email: str, source: Mapping[str, str]) -> float | None:
        """The customer's value from a contact or company property; None when HubSpot has none."""
        prop, on_company = source["property"], source["object"] == "company"
        try:
            contact = self.client.call("contact read", self.client.contacts.get_by_id, email, id_property="email",
                                       properties=[] if on_company else [prop],
                                       associations=["companies"] if on_company else None, sensitive=(email,))
            if on_company:
                linked = (contact.associations or {}).get("companies")
                if not linked or not linked.results:
                    return None
                contact = self.client.call("company read", self.client.companies.get_by_id,
                                           linked.results[0].id, properties=[prop])
        except PermanentError as exc:
            if exc.status == 404:
                return None  # not in HubSpot yet: no value to read
            raise
        raw = (contact.properties or {}).get(prop)
        try:
            return float(raw) if raw not in (None, "") else None
        except ValueError:
            log.warning("hubspot %s property %s is not a number", source["object"], prop)
            return None

    # -- companies (the account view) --------------------------------------------
    def companies_of(self, contacts: Mapping[str, str], known_domains: Mapping[str, str] | None = None,
                     may_create: Callable[[list[str]], set[str]] | None = None,
                     created: Collection[str] = ()) -> dict[str, str | None]:
        """Each contact's primary company (found, or matched/created by e-mail domain); raises SyncError."""
        return self._companies.companies_of(contacts, known_domains, may_create, created)

    def update_company_rollups(self, rollups: Mapping[str, CompanyRollup], limit: int) -> dict[str, None | Exception]:
        return self._companies.update_rollups(rollups, limit)

    # -- tasks and notes -------------------------------------------------------
    def create_case_tasks(self, writes: Sequence[CaseWrite], limit: int) -> Outcomes[StageTasks]:
        return self._tasks.create_case_tasks(writes, limit)

    def create_stage_tasks(self, case: CaseSnapshot, contact_id: str, ledger: EffectLedger,
                           first_attempt: bool) -> StageTasks:
        """One task per stage; return stage key -> task id, every one recorded in the ledger."""
        write = CaseWrite(case.case_id, case, contact_id, ledger, first_attempt)
        return _one(self.create_case_tasks([write], VENDOR_BATCH_LIMIT))

    def create_closing_task(self, case: CaseSnapshot, contact_id: str, task: OwnerTask, ledger: EffectLedger,
                            first_attempt: bool) -> str:
        """The owner's task asking why the recovery failed, once per case; its id."""
        return self._owner_tasks.create_closing_task(case, contact_id, task, ledger, first_attempt)

    def create_owner_task(self, owner: str | None, subject: str, body: str, key: str, due_at: datetime,
                          contact_id: str | None = None) -> str:
        """A task assigned to one owner (weak signal, weekly digest), on the contact when given; its id."""
        return self._owner_tasks.create_owner_task(owner, subject, body, key, due_at, contact_id)

    def create_promise_tasks(self, case: CaseSnapshot, contact_id: str, promises: Sequence[PromiseSnapshot],
                             ledger: EffectLedger, first_attempt: bool) -> dict[int, str]:
        """One dated task per promise; return promise id -> task id, every one in the ledger."""
        return self._promises.create(case, contact_id, promises, ledger, first_attempt, VENDOR_BATCH_LIMIT)

    def complete_task(self, task_id: str) -> None:
        """Mark a stage's task done (completing it again is harmless)."""
        self.client.call("task update", self.client.tasks.update, task_id,
                         {"properties": {"hs_task_status": "COMPLETED"}})
        log.info("hubspot task %s completed", task_id)

    def add_case_notes(self, writes: Sequence[CaseWrite], limit: int) -> Outcomes[str]:
        return self._notes.add_case_notes(writes, limit)

    def add_case_note(self, case: CaseSnapshot, contact_id: str, text: str, ledger: EffectLedger,
                      first_attempt: bool) -> str:
        """The rep's alert on the contact timeline, once per case (same idempotency as tasks)."""
        return _one(self.add_case_notes([CaseWrite(case.case_id, case, contact_id, ledger, first_attempt, text)], 1))

    # -- the account's rep ---------------------------------------------------------
    def tell_reps(self, writes: Sequence[RepWrite], limit: int) -> Outcomes[RepTold]:
        """A heads-up task to each contact's own owner (else the routing owner), once per case."""
        return self._reps.tell_reps(writes, limit)

    def add_rep_notes(self, writes: Sequence[RepWrite], limit: int) -> Outcomes[str]:
        """The rep's note that the case closed, with its outcome, once per case."""
        return self._reps.add_rep_notes(writes, limit)
