"""A strict local stand-in of the HubSpot CRM v3 API, for sandbox mode and end-to-end tests.

It answers the endpoints the connector uses, shaped like HubSpot's so that
hubspot-api-client deserializes them, and is as strict as HubSpot on them:
bearer token required, unknown properties rejected until created through the
properties API, values checked against the property's type and options,
``hs_timestamp`` required on tasks, at most 100 inputs per batch, duplicate
property or group → 409, and an optional per-token rate limit → 429 with
``Retry-After``. State lives on ``app.extensions["hubspot_standin"]``.
"""
import fnmatch
import itertools
import json
import math
import re
import threading
import uuid
from datetime import date, datetime, timezone

from flask import Flask, jsonify, request

from connector.sandbox.common import CallLog, FaultPlan, RateLimiter, install_guards

BATCH_LIMIT = 100
SEARCH_LIMIT = 200
FIELD_TYPES = {
    "string": {"text", "textarea", "html", "phonenumber", "file"},
    "number": {"number", "calculation_equation"},
    "date": {"date"}, "datetime": {"date"}, "bool": {"booleancheckbox", "calculation_equation"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CATEGORIES = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 404: "OBJECT_NOT_FOUND",
              405: "VALIDATION_ERROR", 409: "CONFLICT", 415: "VALIDATION_ERROR", 429: "RATE_LIMITS"}
ASSOCIATION_TYPES = {("tasks", 204): "contacts", ("notes", 202): "contacts"}  # HUBSPOT_DEFINED → contact


def _now() -> str:
    return _iso(datetime.now(timezone.utc))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _prop(name, label, type_, field_type, group, options=(), read_only=False, external=False):
    return {
        "name": name, "label": label, "type": type_, "fieldType": field_type, "groupName": group,
        "description": "", "displayOrder": -1, "calculated": False, "externalOptions": external,
        "hasUniqueValue": name == "email", "hidden": False, "formField": not read_only,
        "options": [{"value": v, "label": v.replace("_", " ").title(), "displayOrder": i,
                     "hidden": False} for i, v in enumerate(options)],
        "createdAt": _now(), "updatedAt": _now(), "archived": False,
        "modificationMetadata": {"archivable": False, "readOnlyDefinition": True,
                                 "readOnlyValue": read_only},
    }


def _defaults() -> tuple[dict, dict]:
    groups = {"contacts": {"contactinformation": "Contact information"},
              "tasks": {"taskinformation": "Task information"},
              "notes": {"noteinformation": "Note information"},
              "companies": {"companyinformation": "Company information"}}
    ci, ti = "contactinformation", "taskinformation"
    contacts = [
        _prop("email", "Email", "string", "text", ci), _prop("firstname", "First Name", "string", "text", ci),
        _prop("lastname", "Last Name", "string", "text", ci), _prop("company", "Company Name", "string", "text", ci),
        _prop("phone", "Phone Number", "string", "phonenumber", ci),
        _prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", ci,
              ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
               "customer", "evangelist", "other")),
        _prop("hubspot_owner_id", "Contact owner", "enumeration", "select", ci, external=True),
        _prop("total_revenue", "Total revenue", "number", "number", ci),
        _prop("hs_object_id", "Record ID", "number", "number", ci, read_only=True),
        _prop("createdate", "Create Date", "datetime", "date", ci, read_only=True),
        _prop("lastmodifieddate", "Last Modified Date", "datetime", "date", ci, read_only=True),
    ]
    tasks = [
        _prop("hs_timestamp", "Due date", "datetime", "date", ti),
        _prop("hs_task_subject", "Task Title", "string", "text", ti),
        _prop("hs_task_body", "Notes", "string", "html", ti),
        _prop("hs_task_status", "Task Status", "enumeration", "select", ti,
              ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")),
        _prop("hs_task_priority", "Priority", "enumeration", "select", ti, ("NONE", "LOW", "MEDIUM", "HIGH")),
        _prop("hs_task_type", "Task Type", "enumeration", "select", ti,
              ("CALL", "EMAIL", "LINKED_IN", "MEETING", "LINKED_IN_CONNECT", "LINKED_IN_MESSAGE", "TODO")),
        _prop("hs_task_reminders", "Reminder", "string", "text", ti),
        _prop("hubspot_owner_id", "Assigned to", "enumeration", "select", ti, external=True),
        _prop("hs_object_id", "Record ID", "number", "number", ti, read_only=True),
        _prop("hs_createdate", "Create date", "datetime", "date", ti, read_only=True),
        _prop("hs_lastmodifieddate", "Last modified date", "datetime", "date", ti, read_only=True),
    ]
    ni = "noteinformation"
    notes = [
        _prop("hs_timestamp", "Activity date", "datetime", "date", ni),
        _prop("hs_note_body", "Note body", "string", "html", ni),
        _prop("hubspot_owner_id", "Activity assigned to", "enumeration", "select", ni, external=True),
        _prop("hs_object_id", "Record ID", "number", "number", ni, read_only=True),
        _prop("hs_createdate", "Create date", "datetime", "date", ni, read_only=True),
        _prop("hs_lastmodifieddate", "Last modified date", "datetime", "date", ni, read_only=True),
    ]
    co = "companyinformation"
    companies = [
        _prop("name", "Name", "string", "text", co), _prop("domain", "Company domain name", "string", "text", co),
        _prop("annualrevenue", "Annual revenue", "number", "number", co),
        _prop("total_revenue", "Total revenue", "number", "number", co),
        _prop("hs_object_id", "Record ID", "number", "number", co, read_only=True),
    ]
    props = {"contacts": {p["name"]: p for p in contacts}, "tasks": {p["name"]: p for p in tasks},
             "notes": {p["name"]: p for p in notes}, "companies": {p["name"]: p for p in companies}}
    return ({ot: {n: {"name": n, "label": lbl, "displayOrder": -1, "archived": False}
                  for n, lbl in g.items()} for ot, g in groups.items()}, props)


class Invalid(Exception):
    """A request HubSpot would refuse: carries the HTTP status, message and category."""

    def __init__(self, status: int, message: str, category: str | None = None, errors=None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors
        self.category = category or CATEGORIES.get(status, "VALIDATION_ERROR")


class HubSpotState:
    """Everything the stand-in holds, for tests to inspect and seed."""

    def __init__(self, limiter: RateLimiter, tokens=None):
        self.lock = threading.RLock()
        self.contacts: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.notes: dict[str, dict] = {}
        self.companies: dict[str, dict] = {}
        self.property_groups, self.properties = _defaults()
        self.owners: dict[str, dict] = {}
        self.faults, self.calls, self.limiter = FaultPlan(), CallLog(), limiter
        self.tokens = set(tokens) if tokens else None   # None: any non-empty bearer token
        self._ids = itertools.count(1001)
        self.add_owner("exec@example.com", "Eve", "Executive")
        self.add_owner("cs.lead@example.com", "Carl", "Lead")
        self.add_owner("senior.manager@example.com", "Sam", "Senior")

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_owner(self, email: str, first: str = "", last: str = "") -> str:
        owner_id = str(70000000 + len(self.owners) + 1)
        self.owners[owner_id] = {
            "id": owner_id, "email": email, "firstName": first, "lastName": last,
            "userId": int(owner_id) - 69000000, "type": "PERSON", "teams": [],
            "createdAt": _now(), "updatedAt": _now(), "archived": False}
        return owner_id

    def add_company(self, properties: dict, contact_ids=()) -> str:
        """A company (tests and the sandbox seed it) associated with the given contacts."""
        with self.lock:
            company_id, now = self.next_id(), _now()
            self.companies[company_id] = {"id": company_id, "createdAt": now, "updatedAt": now,
                                          "properties": {"hs_object_id": company_id, **properties},
                                          "associations": {"contacts": list(contact_ids)}}
            for contact_id in contact_ids:
                self.contacts[contact_id].setdefault("associations", {}).setdefault("companies", []).append(company_id)
            return company_id

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
                value = _iso(moment)
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


def _error_body(status: int, message: str, category: str | None = None, errors=None) -> dict:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category or CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "ERROR")}
    if status == 429:
        body.update(errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING")
    if errors:
        body["errors"] = errors
    return body


def _bearer(req) -> str:
    header = req.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(400, "Invalid input JSON on line 1: expected an object")
    return body


def _batch_inputs(body: dict) -> list:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise Invalid(400, "Invalid input JSON: inputs must be a non-empty list")
    if len(inputs) > BATCH_LIMIT:
        raise Invalid(400, f"Batch input limit exceeded: {len(inputs)} inputs, at most {BATCH_LIMIT} allowed")
    return inputs


def _traced(out: dict, item: dict) -> dict:
    """Batch results echo the input's objectWriteTraceId, to pair them without relying on order."""
    if item.get("objectWriteTraceId"):
        out["objectWriteTraceId"] = item["objectWriteTraceId"]
    return out


def _requested(args) -> list[str]:
    return [p for raw in args.getlist("properties") for p in raw.split(",") if p]


def _view(record: dict, names: list[str] | None, defaults: tuple[str, ...] = (), assoc=(), source="task") -> dict:
    props = record["properties"]
    shown = props if names is None else {n: props.get(n) for n in (*defaults, *names) if n in props}
    out = {"id": record["id"], "properties": dict(shown), "createdAt": record["createdAt"],
           "updatedAt": record["updatedAt"], "archived": False}
    for kind in assoc:
        ids = record.get("associations", {}).get(kind, [])
        out.setdefault("associations", {})[kind] = {
            "results": [{"id": i, "type": f"{source}_to_{kind[:-1]}"} for i in ids]}
    return out


def _matches(record: dict, flt: dict) -> bool:
    name, op, value = flt.get("propertyName", ""), flt.get("operator"), str(flt.get("value", ""))
    if name.startswith("associations."):
        kind = name.split(".", 1)[1].rstrip("s") + "s"
        have = record.get("associations", {}).get(kind, [])
        return (value in have) if op == "EQ" else (value not in have) if op == "NEQ" else False
    current = record["properties"].get(name)
    if op == "HAS_PROPERTY":
        return current not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return current in (None, "")
    current = current or ""
    if op == "EQ":
        return current.lower() == value.lower()
    if op == "NEQ":
        return current.lower() != value.lower()
    if op == "IN":
        return current.lower() in [str(v).lower() for v in flt.get("values", [])]
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        tokens = re.split(r"[^\w*]+", current.lower())
        wanted = [t for t in re.split(r"[^\w*]+", value.lower()) if t]
        found = all(any(fnmatch.fnmatchcase(t, w) for t in tokens) for w in wanted)
        return found if op == "CONTAINS_TOKEN" else not found
    raise Invalid(400, f"Unsupported operator {op} in the stand-in")


def create_hubspot_standin(rate_limit: int | None = None, window_seconds: float = 10.0,
                           access_tokens=None) -> Flask:
    """Build the stand-in app. ``access_tokens``: accepted tokens (default: any non-empty)."""
    app = Flask("hubspot_standin")
    state = HubSpotState(RateLimiter(rate_limit, window_seconds), access_tokens)
    app.extensions["hubspot_standin"] = state
    install_guards(app, limiter=state.limiter, faults=state.faults, calls=state.calls,
                   rate_key=lambda req: _bearer(req) or "anonymous", error_body=_error_body)

    @app.before_request
    def _authenticate():
        token = _bearer(request)
        if not token or (state.tokens is not None and token not in state.tokens):
            msg = ("Authentication credentials not found. This API supports OAuth 2.0 authentication "
                   "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
            return jsonify(_error_body(401, msg)), 401
        return None

    @app.errorhandler(Invalid)
    def _invalid(exc: Invalid):
        return jsonify(_error_body(exc.status, exc.message, exc.category, exc.errors)), exc.status

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _not_found(exc):
        return jsonify(_error_body(exc.code, f"{exc.code} {exc.name}: {request.method} {request.path}")), exc.code

    def object_type(name: str) -> str:
        if name not in state.properties:
            raise Invalid(400, f"Unable to infer object type from: {name}")
        return name

    # -- properties and groups --------------------------------------------
    @app.get("/crm/v3/properties/<ot>/groups")
    def list_groups(ot):
        return jsonify({"results": list(state.property_groups[object_type(ot)].values())})

    @app.post("/crm/v3/properties/<ot>/groups")
    def create_group(ot):
        body, groups = _json_body(), state.property_groups[object_type(ot)]
        name, label = body.get("name"), body.get("label")
        if not isinstance(name, str) or not NAME_RE.match(name) or not label:
            raise Invalid(400, "Property group needs a lower-case name and a label")
        with state.lock:
            if name in groups:
                raise Invalid(409, f"A property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
            groups[name] = {"name": name, "label": label,
                            "displayOrder": int(body.get("displayOrder", -1)), "archived": False}
        return jsonify(groups[name]), 201

    @app.get("/crm/v3/properties/<ot>/groups/<name>")
    def get_group(ot, name):
        group = state.property_groups[object_type(ot)].get(name)
        if group is None:
            raise Invalid(404, f"Unable to find property group {name}")
        return jsonify(group)

    def new_property(ot: str, body) -> dict:
        if not isinstance(body, dict):
            raise Invalid(400, "Invalid input JSON: property must be an object")
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise Invalid(400, f"Missing required fields: {', '.join(missing)}")
        name, kind, field_type = body["name"], body["type"], body["fieldType"]
        if not NAME_RE.match(name):
            raise Invalid(400, f"Property name {name!r} must be lower case letters, digits and underscores")
        if field_type not in FIELD_TYPES.get(kind, ()):
            raise Invalid(400, f"fieldType {field_type!r} is not valid for type {kind!r}")
        if body["groupName"] not in state.property_groups[ot]:
            raise Invalid(400, f"Property group {body['groupName']!r} does not exist")
        options = body.get("options") or []
        if kind == "bool" and not options:
            options = [{"value": "true", "label": "Yes"}, {"value": "false", "label": "No"}]
        if kind == "enumeration" and not options:
            raise Invalid(400, f"Enumeration property {name!r} needs options")
        values = [str(o.get("value", "")) for o in options]
        if kind == "bool" and sorted(values) != ["false", "true"]:
            raise Invalid(400, "A bool property's options must be true and false")
        if "" in values or len(set(values)) != len(values):
            raise Invalid(400, f"Options of {name!r} must have unique, non-empty values")
        prop = _prop(name, body["label"], kind, field_type, body["groupName"])
        prop.update(description=body.get("description", ""), modificationMetadata={
            "archivable": True, "readOnlyDefinition": False, "readOnlyValue": False})
        prop["options"] = [{"value": v, "label": o.get("label") or v, "displayOrder": o.get("displayOrder", i),
                            "hidden": bool(o.get("hidden", False))} for i, (v, o) in enumerate(zip(values, options))]
        return prop

    @app.get("/crm/v3/properties/<ot>")
    def list_properties(ot):
        return jsonify({"results": [p for p in state.properties[object_type(ot)].values() if not p["archived"]]})

    @app.post("/crm/v3/properties/<ot>")
    def create_property(ot):
        prop = new_property(object_type(ot), _json_body())
        with state.lock:
            if prop["name"] in state.properties[ot]:
                raise Invalid(409, f"Property named '{prop['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
            state.properties[ot][prop["name"]] = prop
        return jsonify(prop), 201

    @app.post("/crm/v3/properties/<ot>/batch/create")
    def batch_create_properties(ot):
        object_type(ot)
        started = _now()
        props = [new_property(ot, body) for body in _batch_inputs(_json_body())]
        with state.lock:
            names = [p["name"] for p in props]
            taken = [n for n in names if n in state.properties[ot]] + \
                [n for i, n in enumerate(names) if n in names[:i]]
            if taken:
                raise Invalid(409, f"Property named '{taken[0]}' already exists.", "OBJECT_ALREADY_EXISTS")
            state.properties[ot].update({p["name"]: p for p in props})
        return jsonify({"status": "COMPLETE", "results": props, "startedAt": started, "completedAt": _now()}), 201

    @app.get("/crm/v3/properties/<ot>/<name>")
    def get_property(ot, name):
        prop = state.properties[object_type(ot)].get(name)
        if prop is None:
            raise Invalid(404, f"Unable to find property {name}")
        return jsonify(prop)

    @app.patch("/crm/v3/properties/<ot>/<name>")
    def update_property(ot, name):
        body = _json_body()
        with state.lock:
            prop = state.properties[object_type(ot)].get(name)
            if prop is None:
                raise Invalid(404, f"Unable to find property {name}")
            if prop["modificationMetadata"]["readOnlyDefinition"]:
                raise Invalid(400, f"Property {name} is a HubSpot-defined property and cannot be changed")
            merged = {**{k: prop[k] for k in ("name", "label", "type", "fieldType", "groupName",
                                               "description", "options")}, **body, "name": name}
            fresh = new_property(ot, merged)
            prop.update({k: fresh[k] for k in ("label", "type", "fieldType", "groupName",
                                               "description", "options")}, updatedAt=_now())
        return jsonify(prop)

    # -- contacts -----------------------------------------------------------
    contact_defaults = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")

    def new_record(props: dict) -> dict:
        record_id, now = state.next_id(), _now()
        return {"id": record_id, "createdAt": now, "updatedAt": now, "archived": False,
                "properties": {"hs_object_id": record_id, **props}}

    @app.post("/crm/v3/objects/contacts/batch/upsert")
    def upsert_contacts():
        started, inputs = _now(), _batch_inputs(_json_body())
        checked = []
        for item in inputs:
            if not isinstance(item, dict) or item.get("idProperty") != "email":
                raise Invalid(400, "Upsert inputs need idProperty 'email' (the only unique contact property here)")
            email = str(item.get("id", "")).strip()
            if "@" not in email or email.startswith("@") or email.endswith("@"):
                raise Invalid(400, "Property values were not valid: email is not a valid email address",
                              errors=[{"error": "INVALID_EMAIL", "name": "email"}])
            checked.append((email, state.check_properties("contacts", item.get("properties", {})), item))
        emails = [e.lower() for e, _, _ in checked]
        if len(set(emails)) != len(emails):
            raise Invalid(400, "Duplicate IDs found in batch input")
        results = []
        with state.lock:
            for email, props, item in checked:
                record, now = state.contact_by_email(email), _now()
                if record is None:
                    record = new_record({"email": email.lower(), "createdate": now, **props})
                    state.contacts[record["id"]] = record
                    created = True
                else:
                    record["properties"].update(props)
                    created = False
                record["updatedAt"] = record["properties"]["lastmodifieddate"] = now
                results.append(_traced({**_view(record, None), "new": created}, item))
        return jsonify({"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now()})

    @app.post("/crm/v3/objects/contacts/batch/update")
    def batch_update_contacts():
        """By record id (``idProperty`` omitted, as HubSpot wants for ids); all or nothing."""
        started, inputs = _now(), _batch_inputs(_json_body())
        checked = []
        for item in inputs:
            if not isinstance(item, dict) or item.get("idProperty") not in (None, "hs_object_id"):
                raise Invalid(400, "Batch update here takes record ids: leave idProperty out")
            checked.append((str(item.get("id", "")), state.check_properties("contacts", item.get("properties", {})), item))
        ids = [i for i, _, _ in checked]
        if len(set(ids)) != len(ids):
            raise Invalid(400, "Duplicate IDs found in batch input")
        with state.lock:
            missing = [i for i in ids if i not in state.contacts]
            if missing:
                raise Invalid(400, f"Could not find objects with ids {', '.join(missing)}", "OBJECT_NOT_FOUND")
            results = []
            for contact_id, props, item in checked:
                record = state.contacts[contact_id]
                record["properties"].update(props)
                record["updatedAt"] = record["properties"]["lastmodifieddate"] = _now()
                results.append(_traced(_view(record, None), item))
        return jsonify({"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now()})

    def find_contact(contact_id: str) -> dict:
        if request.args.get("idProperty") == "email":
            record = state.contact_by_email(contact_id)
        else:
            record = state.contacts.get(contact_id)
        if record is None:
            raise Invalid(404, "Object not found.  objectId are usually numeric.")
        return record

    def associations_asked() -> list[str]:
        return [a if a.endswith("s") else a + "s"
                for raw in request.args.getlist("associations") for a in raw.split(",") if a]

    @app.get("/crm/v3/objects/contacts/<contact_id>")
    def get_contact(contact_id):
        return jsonify(_view(find_contact(contact_id), _requested(request.args), contact_defaults,
                             associations_asked(), source="contact"))

    @app.get("/crm/v3/objects/companies/<company_id>")
    def get_company(company_id):
        record = state.companies.get(company_id)
        if record is None:
            raise Invalid(404, "Object not found.  objectId are usually numeric.")
        return jsonify(_view(record, _requested(request.args), ("hs_object_id", "name", "domain")))

    @app.patch("/crm/v3/objects/contacts/<contact_id>")
    def update_contact(contact_id):
        props = state.check_properties("contacts", _json_body().get("properties", {}))
        with state.lock:
            record = find_contact(contact_id)
            record["properties"].update(props)
            record["updatedAt"] = record["properties"]["lastmodifieddate"] = _now()
        return jsonify(_view(record, None))

    # -- engagements: tasks and notes share HubSpot's object API -------------
    engagement_defaults = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
    objects = "<any(tasks, notes):kind>"

    def new_engagement(kind: str, item) -> tuple[dict, dict]:
        if not isinstance(item, dict):
            raise Invalid(400, "Invalid input JSON: each input must be an object")
        props = state.check_properties(kind, item.get("properties", {}))
        if not props.get("hs_timestamp"):
            error = {"isValid": False, "message": 'Property "hs_timestamp" is required', "error": "REQUIRED_PROPERTY",
                     "name": "hs_timestamp"}
            raise Invalid(400, "Property values were not valid: " + json.dumps([error]), errors=[error])
        links: dict[str, list[str]] = {}
        for assoc in item.get("associations") or []:
            to_id = str((assoc.get("to") or {}).get("id", ""))
            for spec in assoc.get("types") or []:
                target = ASSOCIATION_TYPES.get((kind, spec.get("associationTypeId")))
                if spec.get("associationCategory") != "HUBSPOT_DEFINED" or target is None:
                    raise Invalid(400, f"invalid association type {spec.get('associationCategory')}/"
                                       f"{spec.get('associationTypeId')} from {kind}")
                if to_id not in state.contacts:
                    raise Invalid(400, f"Association target {target} {to_id} does not exist")
                links.setdefault(target, []).append(to_id)
        return props, links

    def store_engagement(kind: str, props: dict, links: dict, trace_id=None) -> dict:
        now = _now()
        initial = {"hs_task_status": "NOT_STARTED"} if kind == "tasks" else {}
        record = new_record({"hs_createdate": now, "hs_lastmodifieddate": now, **initial, **props})
        record["associations"] = links
        getattr(state, kind)[record["id"]] = record
        out = _view(record, None)
        if trace_id:
            out["objectWriteTraceId"] = trace_id
        return out

    @app.post(f"/crm/v3/objects/{objects}")
    def create_engagement(kind):
        props, links = new_engagement(kind, _json_body())
        with state.lock:
            return jsonify(store_engagement(kind, props, links)), 201

    @app.post(f"/crm/v3/objects/{objects}/batch/create")
    def batch_create_engagements(kind):
        """All or nothing, unless every input has a unique objectWriteTraceId: then HubSpot
        answers 207 (multi-status), creating the valid inputs and naming each rejected one."""
        started, inputs = _now(), _batch_inputs(_json_body())
        traces = [item.get("objectWriteTraceId") if isinstance(item, dict) else None for item in inputs]
        multi_status = all(traces)
        if multi_status and len(set(traces)) != len(traces):
            raise Invalid(400, "objectWriteTraceId values must be unique within a batch")
        checked, errors = [], []
        for item, trace in zip(inputs, traces):
            try:
                checked.append((*new_engagement(kind, item), trace))
            except Invalid as exc:
                if not multi_status:
                    raise
                errors.append({"status": "error", "category": exc.category, "message": exc.message,
                               "context": {"objectWriteTraceId": [trace]}, "errors": exc.errors or []})
        with state.lock:
            results = [store_engagement(kind, *entry) for entry in checked]
        body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now()}
        if errors:
            body.update(errors=errors, numErrors=len(errors))
        return jsonify(body), 207 if errors else 201

    def find_engagement(kind: str, object_id: str) -> dict:
        record = getattr(state, kind).get(object_id)
        if record is None:
            raise Invalid(404, "Object not found.  objectId are usually numeric.")
        return record

    @app.get(f"/crm/v3/objects/{objects}/<object_id>")
    def get_engagement(kind, object_id):
        return jsonify(_view(find_engagement(kind, object_id), _requested(request.args), engagement_defaults,
                             associations_asked()))

    @app.patch(f"/crm/v3/objects/{objects}/<object_id>")
    def update_engagement(kind, object_id):
        props = state.check_properties(kind, _json_body().get("properties", {}))
        with state.lock:
            record = find_engagement(kind, object_id)
            record["properties"].update(props)
            record["updatedAt"] = record["properties"]["hs_lastmodifieddate"] = _now()
        return jsonify(_view(record, None))

    @app.post(f"/crm/v3/objects/{objects}/search")
    def search_engagements(kind):
        body = _json_body()
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or sum(len(g.get("filters", [])) for g in groups) > 18:
            raise Invalid(400, "Too many filter groups or filters (at most 5 groups and 18 filters)")
        for group in groups:
            for flt in group.get("filters", []):
                name = flt.get("propertyName", "")
                if not name.startswith("associations.") and name not in state.properties[kind]:
                    raise Invalid(400, f"There was a problem with the request: property {name} does not exist")
        limit = int(body.get("limit") or 10)
        if not 0 < limit <= SEARCH_LIMIT:
            raise Invalid(400, f"limit must be between 1 and {SEARCH_LIMIT}")
        with state.lock:
            hits = sorted((r for r in getattr(state, kind).values()
                           if not groups or any(all(_matches(r, f) for f in g.get("filters", []))
                                                for g in groups)), key=lambda r: int(r["id"]))
        start = int(body.get("after") or 0)
        page = hits[start:start + limit]
        names = body.get("properties") or (["hs_task_subject", "hs_task_status", "hs_timestamp"]
                                           if kind == "tasks" else ["hs_note_body", "hs_timestamp"])
        out = {"total": len(hits), "results": [_view(r, names, engagement_defaults) for r in page]}
        if start + limit < len(hits):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return jsonify(out)

    # -- owners -------------------------------------------------------------
    @app.get("/crm/v3/owners/")
    @app.get("/crm/v3/owners")
    def list_owners():
        email = (request.args.get("email") or "").lower()
        owners = [o for o in state.owners.values() if not email or o["email"].lower() == email]
        start, limit = int(request.args.get("after") or 0), int(request.args.get("limit") or 100)
        out = {"results": owners[start:start + limit]}
        if start + limit < len(owners):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return jsonify(out)

    @app.get("/crm/v3/owners/<owner_id>")
    def get_owner(owner_id):
        owner = state.owners.get(owner_id)
        if owner is None:
            raise Invalid(404, f"Owner {owner_id} not found")
        return jsonify(owner)

    return app
