"""The HubSpot stand-in's engagements: tasks and notes, which share HubSpot's object API.

Created one at a time or in batches (207 multi-status when every input carries an
``objectWriteTraceId``), associated with contacts, updated, and searched by filters.
"""
import json

from flask import jsonify, request

from connector.sandbox.hubspot_http import (
    associations_asked,
    batch_inputs,
    json_body,
    matches_filter,
    record_view,
    requested_properties,
)
from connector.sandbox.hubspot_schema import ASSOCIATION_TYPES, SEARCH_LIMIT, Invalid, now_iso


def register(app, state) -> None:
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
        return jsonify(record_view(find_engagement(kind, object_id), requested_properties(request.args),
                                   engagement_defaults, associations_asked(), source=kind[:-1]))

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
