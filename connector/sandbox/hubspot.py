"""A strict local stand-in of the HubSpot CRM v3 API, for sandbox mode and end-to-end tests.

It answers the endpoints the connector uses, shaped like HubSpot's so that
hubspot-api-client deserializes them, and is as strict as HubSpot on them:
bearer token required, unknown properties rejected until created through the
properties API, values checked against the property's type and options,
``hs_timestamp`` required on tasks, at most 100 inputs per batch, duplicate
property or group → 409, and an optional per-token rate limit → 429 with
``Retry-After``. State lives on ``app.extensions["hubspot_standin"]``.
"""
import json

from flask import Flask, jsonify, request

from connector.sandbox.common import RateLimiter, install_guards
from connector.sandbox.hubspot_http import (associations_asked, batch_inputs, bearer_token, echo_trace_id,
                                            error_body, json_body, matches_filter, record_view,
                                            requested_properties)
from connector.sandbox.hubspot_schema import (ASSOCIATION_TYPES, FIELD_TYPES, NAME_RE, SEARCH_LIMIT, Invalid,
                                              now_iso, property_definition)
from connector.sandbox.hubspot_state import HubSpotState


def create_hubspot_standin(rate_limit: int | None = None, window_seconds: float = 10.0,
                           access_tokens=None) -> Flask:
    """Build the stand-in app. ``access_tokens``: accepted tokens (default: any non-empty)."""
    app = Flask("hubspot_standin")
    state = HubSpotState(RateLimiter(rate_limit, window_seconds), access_tokens)
    app.extensions["hubspot_standin"] = state
    install_guards(app, limiter=state.limiter, faults=state.faults, calls=state.calls,
                   rate_key=lambda req: bearer_token(req) or "anonymous", error_body=error_body)

    @app.before_request
    def _authenticate():
        token = bearer_token(request)
        if not token or (state.tokens is not None and token not in state.tokens):
            msg = ("Authentication credentials not found. This API supports OAuth 2.0 authentication "
                   "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
            return jsonify(error_body(401, msg)), 401
        return None

    @app.errorhandler(Invalid)
    def _invalid(exc: Invalid):
        return jsonify(error_body(exc.status, exc.message, exc.category, exc.errors)), exc.status

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _not_found(exc):
        return jsonify(error_body(exc.code, f"{exc.code} {exc.name}: {request.method} {request.path}")), exc.code

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
        body, groups = json_body(), state.property_groups[object_type(ot)]
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
        prop = property_definition(name, body["label"], kind, field_type, body["groupName"])
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
        prop = new_property(object_type(ot), json_body())
        with state.lock:
            if prop["name"] in state.properties[ot]:
                raise Invalid(409, f"Property named '{prop['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
            state.properties[ot][prop["name"]] = prop
        return jsonify(prop), 201

    @app.post("/crm/v3/properties/<ot>/batch/create")
    def batch_create_properties(ot):
        object_type(ot)
        started = now_iso()
        props = [new_property(ot, body) for body in batch_inputs(json_body())]
        with state.lock:
            names = [p["name"] for p in props]
            taken = [n for n in names if n in state.properties[ot]] + \
                [n for i, n in enumerate(names) if n in names[:i]]
            if taken:
                raise Invalid(409, f"Property named '{taken[0]}' already exists.", "OBJECT_ALREADY_EXISTS")
            state.properties[ot].update({p["name"]: p for p in props})
        return jsonify({"status": "COMPLETE", "results": props, "startedAt": started, "completedAt": now_iso()}), 201

    @app.get("/crm/v3/properties/<ot>/<name>")
    def get_property(ot, name):
        prop = state.properties[object_type(ot)].get(name)
        if prop is None:
            raise Invalid(404, f"Unable to find property {name}")
        return jsonify(prop)

    @app.patch("/crm/v3/properties/<ot>/<name>")
    def update_property(ot, name):
        body = json_body()
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
                                               "description", "options")}, updatedAt=now_iso())
        return jsonify(prop)

    # -- contacts -----------------------------------------------------------
    contact_defaults = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")

    @app.post("/crm/v3/objects/contacts/batch/upsert")
    def upsert_contacts():
        started, inputs = now_iso(), batch_inputs(json_body())
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
                record, now = state.contact_by_email(email), now_iso()
                if record is None:
                    record = state.new_record({"email": email.lower(), "createdate": now, **props})
                    state.contacts[record["id"]] = record
                    created = True
                else:
                    record["properties"].update(props)
                    created = False
                record["updatedAt"] = record["properties"]["lastmodifieddate"] = now
                results.append(echo_trace_id({**record_view(record, None), "new": created}, item))
        return jsonify({"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()})

    @app.post("/crm/v3/objects/contacts/batch/update")
    def batch_update_contacts():
        """By record id (``idProperty`` omitted, as HubSpot wants for ids); all or nothing."""
        started, inputs = now_iso(), batch_inputs(json_body())
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
                record["updatedAt"] = record["properties"]["lastmodifieddate"] = now_iso()
                results.append(echo_trace_id(record_view(record, None), item))
        return jsonify({"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()})

    def find_contact(contact_id: str) -> dict:
        if request.args.get("idProperty") == "email":
            record = state.contact_by_email(contact_id)
        else:
            record = state.contacts.get(contact_id)
        if record is None:
            raise Invalid(404, "Object not found.  objectId are usually numeric.")
        return record

    @app.get("/crm/v3/objects/contacts/<contact_id>")
    def get_contact(contact_id):
        return jsonify(record_view(find_contact(contact_id), requested_properties(request.args), contact_defaults,
                             associations_asked(), source="contact"))

    @app.get("/crm/v3/objects/companies/<company_id>")
    def get_company(company_id):
        record = state.companies.get(company_id)
        if record is None:
            raise Invalid(404, "Object not found.  objectId are usually numeric.")
        return jsonify(record_view(record, requested_properties(request.args), ("hs_object_id", "name", "domain")))

    @app.patch("/crm/v3/objects/contacts/<contact_id>")
    def update_contact(contact_id):
        props = state.check_properties("contacts", json_body().get("properties", {}))
        with state.lock:
            record = find_contact(contact_id)
            record["properties"].update(props)
            record["updatedAt"] = record["properties"]["lastmodifieddate"] = now_iso()
        return jsonify(record_view(record, None))

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
        now = now_iso()
        initial = {"hs_task_status": "NOT_STARTED"} if kind == "tasks" else {}
        record = state.new_record({"hs_createdate": now, "hs_lastmodifieddate": now, **initial, **props})
        record["associations"] = links
        getattr(state, kind)[record["id"]] = record
        out = record_view(record, None)
        if trace_id:
            out["objectWriteTraceId"] = trace_id
        return out

    @app.post(f"/crm/v3/objects/{objects}")
    def create_engagement(kind):
        props, links = new_engagement(kind, json_body())
        with state.lock:
            return jsonify(store_engagement(kind, props, links)), 201

    @app.post(f"/crm/v3/objects/{objects}/batch/create")
    def batch_create_engagements(kind):
        """All or nothing, unless every input has a unique objectWriteTraceId: then HubSpot
        answers 207 (multi-status), creating the valid inputs and naming each rejected one."""
        started, inputs = now_iso(), batch_inputs(json_body())
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
        body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()}
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
        return jsonify(record_view(find_engagement(kind, object_id), requested_properties(request.args), engagement_defaults,
                             associations_asked()))

    @app.patch(f"/crm/v3/objects/{objects}/<object_id>")
    def update_engagement(kind, object_id):
        props = state.check_properties(kind, json_body().get("properties", {}))
        with state.lock:
            record = find_engagement(kind, object_id)
            record["properties"].update(props)
            record["updatedAt"] = record["properties"]["hs_lastmodifieddate"] = now_iso()
        return jsonify(record_view(record, None))

    @app.post(f"/crm/v3/objects/{objects}/search")
    def search_engagements(kind):
        body = json_body()
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
                           if not groups or any(all(matches_filter(r, f) for f in g.get("filters", []))
                                                for g in groups)), key=lambda r: int(r["id"]))
        start = int(body.get("after") or 0)
        page = hits[start:start + limit]
        names = body.get("properties") or (["hs_task_subject", "hs_task_status", "hs_timestamp"]
                                           if kind == "tasks" else ["hs_note_body", "hs_timestamp"])
        out = {"total": len(hits), "results": [record_view(r, names, engagement_defaults) for r in page]}
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
