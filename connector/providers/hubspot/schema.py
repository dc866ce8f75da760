"""The contact (or company) properties the connector writes, created in HubSpot before the first write."""
import logging
import threading
from typing import Any

from connector.ports.errors import PermanentError, RetryableError
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.mapping import HubSpotMapping, PropertyDef

log = logging.getLogger(__name__)


class ContactSchema:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping, object_type: str = "contacts"):
        self.client = client
        self.mapping = mapping
        self.object_type = object_type  # "companies": the account roll-up, same group name
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the property group and any missing contact property; once per instance."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._ensure_group()
            self._ensure_properties()
            self._ready = True
            log.info("hubspot %s schema ready group=%s", self.object_type, self.mapping.group_name)

    def _ensure_group(self) -> None:
        call, groups = self.client.call, self.client.property_groups
        existing = {g.name for g in call("list property groups", groups.get_all, self.object_type).results}
        if self.mapping.group_name in existing:
            return
        body = {"name": self.mapping.group_name, "label": self.mapping.group_label,
                "displayOrder": self.mapping.group_display_order}
        try:
            call("create property group", groups.create, self.object_type, body)
        except PermanentError as exc:
            if exc.status != 409:   # 409: created meanwhile by another worker
                raise

    def _existing_properties(self) -> dict[str, Any]:
        results = self.client.call("list contact properties", self.client.properties.get_all,
                                   self.object_type).results
        return {p.name: p for p in results}

    def _ensure_properties(self) -> None:
        existing = self._existing_properties()
        wanted = list((self.mapping.company_properties if self.object_type == "companies"
                       else self.mapping.contact_properties).values())
        missing = [d for d in wanted if d.name not in existing]
        for definition in wanted:
            if definition.name in existing:
                self._reconcile(definition, existing[definition.name])
        if not missing:
            return
        body = {"inputs": [d.create_body(self.mapping.group_name) for d in missing]}
        try:
            self.client.call("create contact properties", self.client.properties_batch.create,
                             self.object_type, body)
        except PermanentError as exc:
            if exc.status != 409:
                raise
            still = [d.name for d in missing if d.name not in self._existing_properties()]
            if still:
                raise RetryableError(f"HubSpot contact properties still missing: {', '.join(still)}") from None
        log.info("hubspot created %d contact properties", len(missing))

    def _reconcile(self, definition: PropertyDef, current: Any) -> None:
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
                         self.object_type, definition.name, {"options": options})
        log.info("hubspot property %s: added %d options", definition.name, len(lacking))
