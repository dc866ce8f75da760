"""HubSpot side of a recovery case: contact properties and one task per REACT stage.

Every method is idempotent: the contact is upserted by e-mail, and stage tasks
are recorded in the ledger one by one; after a crash between HubSpot's answer
and ``ledger.record`` (``first_attempt`` False) the tasks already created are
found again by their natural key before anything new is created.

The writes themselves live in ``batch`` (several cases per call); the one-case
methods here are that code with a batch of one, so both paths behave alike.
"""
import logging
import threading

from connector.ports.errors import PermanentError, RetryableError
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, EffectLedger
from connector.providers.hubspot.batch import BatchWrites, CaseWrite, ContactWrite
from connector.providers.hubspot.batch_notes import LinkAndNoteWrites
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.mapping import HubSpotMapping, load_hubspot_mapping
from connector.ports.keys import task_keys_in, task_natural_key

log = logging.getLogger(__name__)

SEARCH_PAGE = 100
VENDOR_BATCH_LIMIT = 100  # one case's eight tasks always fit one call


def _one(outcomes: dict):
    """The single item's result of a batch method, or its error raised."""
    (result,) = outcomes.values()
    if isinstance(result, Exception):
        raise result
    return result


class HubSpotAdapter(BatchWrites, LinkAndNoteWrites):
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping):
        self.client = client
        self.mapping = mapping
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._owner_ids: dict[str, str | None] = {}

    @classmethod
    def from_config(cls, config, mapping: HubSpotMapping | None = None) -> "HubSpotAdapter":
        return cls(HubSpotClient.from_config(config), mapping or load_hubspot_mapping())

    def set_throttle(self, throttle) -> None:
        """Every SDK call first takes a token from ``throttle``."""
        self.client.throttle = throttle

    # -- schema ------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the property group and any missing contact property; once per instance."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            self._ensure_group()
            self._ensure_properties()
            self._schema_ready = True
            log.info("hubspot schema ready group=%s", self.mapping.group_name)

    def _ensure_group(self) -> None:
        call, groups = self.client.call, self.client.property_groups
        existing = {g.name for g in call("list property groups", groups.get_all, "contacts").results}
        if self.mapping.group_name in existing:
            return
        body = {"name": self.mapping.group_name, "label": self.mapping.group_label,
                "displayOrder": self.mapping.group_display_order}
        try:
            call("create property group", groups.create, "contacts", body)
        except PermanentError as exc:
            if exc.status != 409:   # 409: created meanwhile by another worker
                raise

    def _existing_properties(self) -> dict:
        results = self.client.call("list contact properties", self.client.properties.get_all, "contacts").results
        return {p.name: p for p in results}

    def _ensure_properties(self) -> None:
        existing = self._existing_properties()
        wanted = list(self.mapping.contact_properties.values())
        missing = [d for d in wanted if d.name not in existing]
        for definition in wanted:
            if definition.name in existing:
                self._reconcile(definition, existing[definition.name])
        if not missing:
            return
        body = {"inputs": [d.create_body(self.mapping.group_name) for d in missing]}
        try:
            self.client.call("create contact properties", self.client.properties_batch.create,
                             "contacts", body)
        except PermanentError as exc:
            if exc.status != 409:
                raise
            still = [d.name for d in missing if d.name not in self._existing_properties()]
            if still:
                raise RetryableError(f"HubSpot contact properties still missing: {', '.join(still)}") from None
        log.info("hubspot created %d contact properties", len(missing))

    def _reconcile(self, definition, current) -> None:
        """Warn on a type clash; add option values the connector writes but HubSpot lacks."""
        if current.type != definition.type:
            log.warning("hubspot property %s is %s, mapping expects %s",
                        definition.name, current.type, definition.type)
            return
        have = [o.value for o in (current.options or [])]
        lacking = [(v, label) for v, label in definition.options if v not in have]
        if not lacking or definition.type != "enumeration":
            return
        options = [{"value": o.value, "label": o.label, "displayOrder": o.display_order,
                    "hidden": o.hidden} for o in current.options or []]
        options += [{"value": v, "label": label, "displayOrder": len(options) + i, "hidden": False}
                    for i, (v, label) in enumerate(lacking)]
        self.client.call("update contact property options", self.client.properties.update,
                         "contacts", definition.name, {"options": options})
        log.info("hubspot property %s: added %d options", definition.name, len(lacking))

    # -- contacts ------------------------------------------------------------
    def upsert_contact(self, answer: AnswerSnapshot, case: CaseSnapshot | None = None,
                       ticket_url: str | None = None) -> str:
        """Create or update the contact (by e-mail); return its HubSpot id."""
        return _one(self.upsert_contacts([ContactWrite(answer.answer_id, answer, case, ticket_url)], 1))

    def lifetime_value(self, email: str, source: dict) -> float | None:
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

    def set_ticket_url(self, contact_id: str, url: str) -> None:
        self.ensure_schema()
        name = self.mapping.name("recovery_zendesk_ticket_url")
        self.client.call("contact update", self.client.contacts.update, contact_id,
                         {"properties": {name: url}})
        log.info("hubspot contact %s: ticket url set", contact_id)

    # -- owners --------------------------------------------------------------
    def resolve_owner(self, owner: str | None) -> str | None:
        """HubSpot owner id for a routing result (an owner id, or a user's e-mail)."""
        if not owner:
            return None
        if owner.isdigit():
            return owner
        if owner not in self._owner_ids:
            page = self.client.call("owner lookup", self.client.owners.get_page,
                                    email=owner, limit=1, sensitive=(owner,))
            self._owner_ids[owner] = page.results[0].id if page.results else None
            if not page.results:
                log.warning("hubspot owner not found; tasks stay unassigned")
        return self._owner_ids[owner]

    # -- tasks ---------------------------------------------------------------
    def create_stage_tasks(self, case: CaseSnapshot, contact_id: str, ledger: EffectLedger,
                           first_attempt: bool) -> dict[str, str]:
        """One task per stage; return stage key -> task id, every one recorded in the ledger."""
        write = CaseWrite(case.case_id, case, contact_id, ledger, first_attempt)
        return _one(self.create_case_tasks([write], VENDOR_BATCH_LIMIT))

    def add_case_note(self, case: CaseSnapshot, contact_id: str, text: str, ledger: EffectLedger,
                      first_attempt: bool) -> str:
        """The rep's alert on the contact timeline, once per case (same idempotency as tasks)."""
        return _one(self.add_case_notes([CaseWrite(case.case_id, case, contact_id, ledger, first_attempt, text)], 1))

    def _find_note(self, contact_id: str, marker: str) -> str | None:
        request = {"filterGroups": [{"filters": [
            {"propertyName": "associations.contact", "operator": "EQ", "value": str(contact_id)}]}],
            "properties": ["hs_note_body"], "limit": SEARCH_PAGE}
        page = self.client.call("note search", self.client.notes_search.do_search, request)
        return next((n.id for n in page.results if marker in ((n.properties or {}).get("hs_note_body") or "")), None)

    def complete_task(self, task_id: str) -> None:
        """Mark a stage's task done (completing it again is harmless)."""
        self.client.call("task update", self.client.tasks.update, task_id,
                         {"properties": {"hs_task_status": "COMPLETED"}})
        log.info("hubspot task %s completed", task_id)

    def _find_tasks(self, case: CaseSnapshot, contact_id: str) -> dict[str, str]:
        """Stage tasks of this case already on the contact, by natural key in the body.

        Custom task properties are not documented as supported, so the key lives in
        ``hs_task_body``; the search narrows to the contact's tasks by association,
        and the exact key is matched here (no reliance on HubSpot's tokenizer).
        """
        wanted = {task_natural_key(case.case_id, s.key): s.key for s in case.stages}
        found: dict[str, str] = {}
        after = None
        while True:
            request = {"filterGroups": [{"filters": [
                {"propertyName": "associations.contact", "operator": "EQ", "value": str(contact_id)}]}],
                "properties": ["hs_task_body"], "limit": SEARCH_PAGE,
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}
            if after:
                request["after"] = after
            page = self.client.call("task search", self.client.tasks_search.do_search, request)
            for task in page.results:
                for key in task_keys_in((task.properties or {}).get("hs_task_body")) & wanted.keys():
                    found.setdefault(wanted[key], task.id)
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                break
        log.info("hubspot case=%s contact=%s: found %d existing tasks", case.case_id, contact_id, len(found))
        return found
