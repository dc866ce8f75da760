"""The HubSpot stand-in's companies and contact<->company associations (v4), as strict as HubSpot.

Companies are searched by ``domain``, created, read and updated in batches (at most 100
inputs, unknown or read-only properties refused, duplicate ids refused), and associated with
contacts through the v4 default association. The contact's first company is its primary one
(association type 1, label "Primary"), as HubSpot makes it.
"""
from flask import jsonify

from connector.sandbox.hubspot_http import batch_inputs, echo_trace_id, json_body, matches_filter, record_view
from connector.sandbox.hubspot_schema import SEARCH_LIMIT, Invalid, now_iso

PRIMARY, UNLABELED = 1, 279          # contact_to_company
COMPANY_TO_CONTACT = (280,)          # unlabeled company_to_contact
DEFAULTS = ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")


def register(app, state) -> None:
    def stamped(record: dict) -> None:
        record["updatedAt"] = record["properties"]["hs_lastmodifieddate"] = now_iso()

    def done(results: list, started: str, status: int = 200):
        return jsonify({"status": "COMPLETE", "results": results, "startedAt": started,
                        "completedAt": now_iso()}), status

    @app.post("/crm/v3/objects/companies/batch/create")
    def create_companies():
        started, inputs = now_iso(), batch_inputs(json_body())
        checked = [(state.check_properties("companies", (item or {}).get("properties", {})), item) for item in inputs]
        results = []
        with state.lock:
            for props, item in checked:
                company_id = state.add_company(props)
                record = state.companies[company_id]
                record["properties"].setdefault("createdate", record["createdAt"])
                stamped(record)
                results.append(echo_trace_id(record_view(record, None), item))
        return done(results, started, 201)

    def by_ids(inputs: list) -> list[str]:
        ids = [str((item or {}).get("id", "")) for item in inputs]
        if len(set(ids)) != len(ids):
            raise Invalid(400, "Duplicate IDs found in batch input")
        missing = [i for i in ids if i not in state.companies]
        if missing:
            raise Invalid(400, f"Could not find objects with ids {', '.join(missing)}", "OBJECT_NOT_FOUND")
        return ids

    @app.post("/crm/v3/objects/companies/batch/read")
    def read_companies():
        body = json_body()
        started, inputs = now_iso(), batch_inputs(body)
        with state.lock:
            ids = by_ids(inputs)
            return done([record_view(state.companies[i], body.get("properties") or [], DEFAULTS) for i in ids], started)

    @app.post("/crm/v3/objects/companies/batch/update")
    def update_companies():
        """By record id, all or nothing, like the contacts' batch update."""
        started, inputs = now_iso(), batch_inputs(json_body())
        if any(not isinstance(i, dict) or i.get("idProperty") not in (None, "hs_object_id") for i in inputs):
            raise Invalid(400, "Batch update here takes record ids: leave idProperty out")
        checked = [state.check_properties("companies", item.get("properties", {})) for item in inputs]
        results = []
        with state.lock:
            ids = by_ids(inputs)
            for company_id, props, item in zip(ids, checked, inputs):
                record = state.companies[company_id]
                record["properties"].update(props)
                stamped(record)
                results.append(echo_trace_id(record_view(record, None), item))
        return done(results, started)

    @app.post("/crm/v3/objects/companies/search")
    def search_companies():
        body = json_body()
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or sum(len(g.get("filters", [])) for g in groups) > 18:
            raise Invalid(400, "Search allows at most 5 filter groups and 18 filters")
        for group in groups:
            for flt in group.get("filters", []):
                if flt.get("operator") == "IN" and len(flt.get("values") or []) > 100:
                    raise Invalid(400, "IN filters take at most 100 values")
                if flt.get("propertyName") not in state.properties["companies"] and \
                        flt.get("propertyName") not in ("createdate", "hs_lastmodifieddate"):
                    raise Invalid(400, f"Property {flt.get('propertyName')} does not exist on companies")
        limit = int(body.get("limit") or 10)
        if limit > SEARCH_LIMIT:
            raise Invalid(400, f"limit must be at most {SEARCH_LIMIT}")
        with state.lock:
            hits = [r for r in state.companies.values()
                    if not groups or any(all(matches_filter(r, f) for f in g.get("filters", [])) for g in groups)]
            for sort in reversed(body.get("sorts") or []):
                name = sort.get("propertyName")
                hits.sort(key=lambda r: (r["createdAt"] if name == "createdate" else r["properties"].get(name) or "",
                                         int(r["id"])), reverse=sort.get("direction") == "DESCENDING")
            start = int(body.get("after") or 0)
            page = hits[start:start + limit]
            out = {"total": len(hits),
                   "results": [record_view(r, body.get("properties") or [], DEFAULTS) for r in page]}
        if start + limit < len(hits):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return jsonify(out)

    # -- associations (v4) -----------------------------------------------------
    def check_pair(from_type: str, to_type: str) -> None:
        if (from_type, to_type) not in (("contacts", "companies"), ("companies", "contacts")):
            raise Invalid(400, f"The stand-in associates contacts and companies only, not {from_type}/{to_type}")

    @app.post("/crm/v4/associations/<from_type>/<to_type>/batch/read")
    def read_associations(from_type, to_type):
        check_pair(from_type, to_type)
        started, inputs = now_iso(), batch_inputs(json_body())
        source = state.contacts if from_type == "contacts" else state.companies
        results, errors = [], []
        with state.lock:
            for item in inputs:
                object_id = str((item or {}).get("id", ""))
                linked = (source.get(object_id) or {}).get("associations", {}).get(to_type, [])
                if not linked:
                    errors.append({"status": "error", "category": "OBJECT_NOT_FOUND", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                                   "message": f"No {to_type[:-1]} is associated with {from_type[:-1]} {object_id}.",
                                   "context": {"fromObjectId": [object_id]}})
                    continue
                results.append({"from": {"id": object_id}, "to": [
                    {"toObjectId": int(to_id), "associationTypes": (
                        [{"category": "HUBSPOT_DEFINED", "typeId": PRIMARY, "label": "Primary"}] if n == 0 and
                        from_type == "contacts" else []) + [{"category": "HUBSPOT_DEFINED", "typeId":
                                                             UNLABELED if from_type == "contacts" else
                                                             COMPANY_TO_CONTACT[0], "label": None}]}
                    for n, to_id in enumerate(linked)]})
        body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()}
        if errors:
            body.update(numErrors=len(errors), errors=errors)
        return jsonify(body), 207 if errors else 200

    @app.post("/crm/v4/associations/<from_type>/<to_type>/batch/associate/default")
    def associate_default(from_type, to_type):
        check_pair(from_type, to_type)
        started, inputs = now_iso(), batch_inputs(json_body())
        pairs = [(str(((i or {}).get("from") or {}).get("id", "")), str(((i or {}).get("to") or {}).get("id", "")))
                 for i in inputs]
        contacts_first = [(a, b) if from_type == "contacts" else (b, a) for a, b in pairs]
        with state.lock:
            unknown = [c for c, co in contacts_first if c not in state.contacts] + \
                      [co for c, co in contacts_first if co not in state.companies]
            if unknown:
                raise Invalid(400, f"Could not find objects with ids {', '.join(unknown)}", "OBJECT_NOT_FOUND")
            for contact_id, company_id in contacts_first:
                state.associate_company(contact_id, company_id)
        results = [{"from": {"id": a}, "to": {"id": b},
                    "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                        "associationTypeId": UNLABELED if from_type == "contacts" else 280}}
                   for a, b in pairs]
        return done(results, started)

