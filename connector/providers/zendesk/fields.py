"""The "Recovery cause" custom ticket field: a drop-down (Zendesk type ``tagger``) whose options
are the taxonomy's causes, each option's value the tag ``cause_<key>``.

A tagger option's value is a tag: Zendesk shows the option of whichever tag the ticket carries
and swaps the tags when an agent picks another option, so the ticket's ``cause_<key>`` tag and
the drop-down stay one fact. The field is looked up by title (``GET /api/v2/ticket_fields``),
created when missing (``POST``, ``custom_field_options`` required for a tagger), and given the
options the taxonomy gained (``PUT`` with the full list, which replaces Zendesk's). Once per
adapter; two workers starting at once may both create it (Zendesk has no unique title), which
costs a duplicate field an admin deletes, never a wrong tag.
"""
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from connector.providers.zendesk.mapping import CAUSE_FIELD_TITLE, ZendeskMapping

log = logging.getLogger(__name__)
Request = Callable[..., dict[str, Any]]  # (operation, method, path, body=None) -> JSON answer


class CauseField:
    def __init__(self, request: Request, mapping: ZendeskMapping):
        self._request = request
        self._mapping = mapping
        self._id: int | None = None
        self._lock = threading.Lock()

    def _options(self) -> list[dict[str, str]]:
        return [{"name": label, "value": tag} for tag, label in self._mapping.cause_options]

    def _existing(self) -> dict[str, Any] | None:
        path: str | None = "/api/v2/ticket_fields.json"
        while path:
            page = self._request("ticket fields list", "GET", path)
            for field in page.get("ticket_fields") or []:
                if field.get("title") == CAUSE_FIELD_TITLE and field.get("type") == "tagger":
                    return dict(field)
            following = page.get("next_page")
            parts = urlsplit(following) if isinstance(following, str) and following else None
            path = parts.path + (f"?{parts.query}" if parts.query else "") if parts else None
        return None

    def ensure(self) -> int:
        with self._lock:
            if self._id is not None:
                return self._id
            field = self._existing()
            if field is None:
                body = {"ticket_field": {"type": "tagger", "title": CAUSE_FIELD_TITLE,
                                         "description": "Root cause of the recovery case (recovery connector)",
                                         "custom_field_options": self._options()}}
                field = self._request("ticket field create", "POST", "/api/v2/ticket_fields.json", body)["ticket_field"]
                log.info("Zendesk cause field created id=%s", field["id"])
            else:
                have = {o.get("value") for o in field.get("custom_field_options") or []}
                lacking = [o for o in self._options() if o["value"] not in have]
                if lacking:
                    options = [{"name": o["name"], "value": o["value"]} for o in field["custom_field_options"]]
                    self._request("ticket field update", "PUT", f"/api/v2/ticket_fields/{int(field['id'])}.json",
                                  {"ticket_field": {"custom_field_options": options + lacking}})
                    log.info("Zendesk cause field %s: added %d options", field["id"], len(lacking))
            self._id = int(field["id"])
            return self._id
