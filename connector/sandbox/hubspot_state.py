"""The HubSpot stand-in's records, owners and property schema, shared by its route modules.

One object holds it all (behind one lock) so tests can seed and inspect a portal, and
the value checks live here because they need the portal's properties and owners.
"""
import itertools
import json
import math
import threading
from datetime import date, datetime, timezone

from connector.sandbox.common import CallLog, FaultPlan, RateLimiter
from connector.sandbox.hubspot_schema import Invalid, default_schema, now_iso, to_iso


class HubSpotState:
    """Everything the stand-in holds, for tests to inspect and seed."""

    def __init__(self, limiter: RateLimiter, tokens=None):
        self.lock = threading.RLock()
        self.contacts: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.notes: dict[str, dict] = {}
        self.companies: dict[str, dict] = {}
        self.property_groups, self.properties = default_schema()
        self.owners: dict[str, dict] = {}
        self.faults, self.calls, self.limiter = FaultPlan(), CallLog(), limiter
        self.tokens = set(tokens) if tokens else None   # None: any non-empty bearer token
        self._ids = itertools.count(1001)
        self.add_owner("exec@example.com", "Eve", "Executive")
        self.add_owner("cs.lead@example.com", "Carl", "Lead")
        self.add_owner("senior.manager@example.com", "Sam", "Senior")

    def next_id(self) -> str:
        return str(next(self._ids))

    def new_record(self, props: dict) -> dict:
        """A contact, task or note as HubSpot returns it, with a fresh id (not stored yet)."""
        record_id, now = self.next_id(), now_iso()
        return {"id": record_id, "createdAt": now, "updatedAt": now, "archived": False,
                "properties": {"hs_object_id": record_id, **props}}

    def add_owner(self, email: str, first: str = "", last: str = "") -> str:
        owner_id = str(70000000 + len(self.owners) + 1)
        self.owners[owner_id] = {
            "id": owner_id, "email": email, "firstName": first, "lastName": last,
            "userId": int(owner_id) - 69000000, "type": "PERSON", "teams": [],
            "createdAt": now_iso(), "updatedAt": now_iso(), "archived": False}
        return owner_id

    def add_company(self, properties: dict, contact_ids=()) -> str:
        """A company (tests and the sandbox seed it) associated with the given contacts."""
        with self.lock:
            company_id, now = self.next_id(), now_iso()
            self.companies[company_id] = {"id": company_id, "createdAt": now, "updatedAt": now,
                                          "properties": {"hs_object_id": company_id, **properties},
                                          "associations": {"contacts": list(contact_ids)}}
            for contact_id in contact_ids:
                self.contacts[contact_id].setdefault("associations", {}).setdefault("companies", []).append(company_id)
            return company_id

    def associate_company(self, contact_id: str, company_id: str) -> None:
        """Both directions, once (associating again is harmless, as in HubSpot)."""
        with self.lock:
            companies = self.contacts[contact_id].setdefault("associations", {}).setdefault("companies", [])
            contacts = self.companies[company_id].setdefault("associations", {}).setdefault("contacts", [])
            if company_id not in companies:
                companies.append(company_id)
            if contact_id not in contacts:
                contacts.append(contact_id)

    def seed_owners(self, routing) -> None:
        """Make the routed owners HubSpot users, as the account would have them."""
        known = {o["email"] for o in self.owners.values()}
        for owners in routing.tiers.values():
            for owner in owners:
                if owner.hubspot_owner and "@" in owner.hubspot_owner and owner.hubspot_owner not in known:
                    first, _, last = owner.name.partition(" ")
                    self.add_owner(owner.hubspot_owner, first, last)
                    known.add(owner.hubspot_owner)

    def contact_by_email(self, email: str) -> dict | None:
        email = email.strip().lower()
        return next((c for c in self.contacts.values()
                     if c["properties"].get("email", "").lower() == email), None)

    # -- property values -------------------------------------------------
    def check_value(self, object_type: str, name: str, raw) -> tuple[str, dict | None]:
        """Normalized value, or (raw, error dict) the way HubSpot reports one bad property."""
        prop = self.properties[object_type].get(name)
        value = "" if raw is None else ("true" if raw is True else "false" if raw is False else str(raw))

        def bad(code, message):
            return value, {"isValid": False, "message": message, "error": code, "name": name,
                           "localizedErrorMessage": message}

        if prop is None or prop["archived"]:
            return bad("PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
        if prop["modificationMetadata"]["readOnlyValue"]:
            return bad("READ_ONLY_VALUE", f'Property "{name}" is read-only')
        if value == "":
            return value, None
        kind = prop["type"]
        if kind == "number":
            try:
                if not math.isfinite(float(value)):
                    raise ValueError
            except ValueError:
                return bad("INVALID_NUMBER", f"{value} was not a valid number.")
        elif kind == "bool":
            if value.lower() not in ("true", "false"):
                return bad("INVALID_BOOLEAN", f"{value} was not a valid boolean (true/false).")
            value = value.lower()
        elif kind in ("datetime", "date"):
            try:
                if value.isdigit():
                    moment = datetime.fromtimestamp(int(value) / 1000, timezone.utc)
                else:
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                    if kind == "datetime" and moment.tzinfo is None and "T" in value:
                        raise ValueError("no offset")
                    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
            except (ValueError, OverflowError, OSError):
                return bad("INVALID_DATE", f"{value} was not a valid {kind} (ISO 8601 or epoch ms).")
            if kind == "date":
                if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
                    return bad("INVALID_DATE", f"{value} is not midnight UTC")
                value = date(moment.year, moment.month, moment.day).isoformat()
            else:
                value = to_iso(moment)
        elif kind == "enumeration":
            if name == "hubspot_owner_id":
                if value not in self.owners:
                    return bad("INVALID_OWNER_ID", f"{value} is not a valid owner id")
            else:
                allowed = [o["value"] for o in prop["options"]]
                chosen = value.split(";") if prop["fieldType"] == "checkbox" else [value]
                wrong = [v for v in chosen if v not in allowed]
                if wrong:
                    return bad("INVALID_OPTION", f"{wrong[0]} was not one of the allowed options: "
                                                 f"[{', '.join(allowed)}]")
        elif len(value) > 65536:
            return bad("INVALID_STRING", "value longer than 65536 characters")
        return value, None

    def check_properties(self, object_type: str, properties) -> dict:
        if not isinstance(properties, dict):
            raise Invalid(400, "Invalid input JSON: properties must be an object")
        clean, errors = {}, []
        for name, raw in properties.items():
            clean[name], error = self.check_value(object_type, name, raw)
            if error:
                errors.append(error)
        if errors:
            raise Invalid(400, "Property values were not valid: " + json.dumps(errors), errors=errors)
        return clean
