"""Reads the writes depend on: owner ids, and objects found again by their natural key.

A retry (not ``first_attempt``) may follow a crash between HubSpot's answer and the ledger
write: before creating anything it looks for what the earlier attempt made, by the natural
key written into the task body or the note (see ``ports.keys``).
"""
import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from connector.ports.keys import task_keys_in, task_natural_key
from connector.ports.snapshots import CaseSnapshot
from connector.providers.hubspot.client import HubSpotClient

log = logging.getLogger(__name__)

SEARCH_PAGE = 100
K = TypeVar("K")


def _of_contact(contact_id: str) -> list[dict[str, Any]]:
    return [{"filters": [{"propertyName": "associations.contact", "operator": "EQ", "value": str(contact_id)}]}]


class Lookups:
    def __init__(self, client: HubSpotClient):
        self.client = client
        self._owner_ids: dict[str, str | None] = {}

    def owner_id(self, owner: str | None) -> str | None:
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

    def note(self, contact_id: str, reference: str) -> str | None:
        """The id of the contact's note whose body holds ``reference``."""
        request = {"filterGroups": _of_contact(contact_id), "properties": ["hs_note_body"], "limit": SEARCH_PAGE}
        page = self.client.call("note search", self.client.notes_search.do_search, request)
        return next((n.id for n in page.results if reference in ((n.properties or {}).get("hs_note_body") or "")),
                    None)

    def stage_tasks(self, case: CaseSnapshot, contact_id: str) -> dict[str, str]:
        """Stage tasks of this case already on the contact (stage key -> task id), by natural key."""
        wanted = {task_natural_key(case.case_id, s.key): s.key for s in case.stages}
        found = self.tasks_by_key(contact_id, wanted)
        log.info("hubspot case=%s contact=%s: found %d existing tasks", case.case_id, contact_id, len(found))
        return found

    def tasks_by_key(self, contact_id: str, wanted: Mapping[str, K]) -> dict[K, str]:
        """The contact's tasks whose body holds a natural key of ``wanted`` (key -> name): name -> task id.

        Custom task properties are not documented as supported, so the key lives in
        ``hs_task_body``; the search narrows to the contact's tasks by association,
        and the exact key is matched here (no reliance on HubSpot's tokenizer).
        """
        found: dict[K, str] = {}
        after = None
        while True:
            request: dict[str, Any] = {
                "filterGroups": _of_contact(contact_id), "properties": ["hs_task_body"], "limit": SEARCH_PAGE,
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}
            if after:
                request["after"] = after
            page = self.client.call("task search", self.client.tasks_search.do_search, request)
            for task in page.results:
                for key in task_keys_in((task.properties or {}).get("hs_task_body")) & wanted.keys():
                    found.setdefault(wanted[key], task.id)
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return found
