"""The HubSpot stand-in's contacts, with the companies and owners they point to.

Contacts are upserted by email, created in batches with their company association, read and
updated in batches or one at a time, as the connector writes them (an upsert overwrites every
property it is given, as HubSpot's does; a create refuses an e-mail HubSpot already has, 409 for
the whole batch); companies and owners are only read (tests and the sandbox seed them).
"""
from flask import jsonify, request

from connector.sandbox.hubspot_http import (
    associations_asked,
    batch_inputs,
    echo_trace_id,
    json_body,
    record_view,
    requested_properties,
)
from connector.sandbox.hubspot_schema import Invalid, now_iso

CONTACT_TO_COMPANY = (1, 279)  # HUBSPOT_DEFINED: Primary, unlabeled


def checked_email(raw) -> str:
    """The address as given, or the 400 HubSpot answers for a malformed one."""
    email = str(raw or "").strip()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise Invalid(400, "Property values were not valid: email is not a valid email address",
                      errors=[{"error": "INVALID_EMAIL", "name": "email"}])
    return email


def register(app, state) -> None:
    contact_defaults = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")

    @app.post("/crm/v3/objects/contacts/batch/upsert")
    def upsert_contacts():
        started, inputs = now_iso(), batch_inputs(json_body())
        checked = []
        for item in inputs:
            if not isinstance(item, dict) or item.get("idProperty") != "email":
                raise Invalid(400, "Upsert inputs need idProperty 'email' (the only unique contact property here)")
            email = checked_email(item.get("id"))
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

    def company_links(item: dict) -> list[str]:
        """The companies an input asks to be associated with; 400 for an unknown one or type."""
        companies = []
        for assoc in item.get("associations") or []:
            to_id = str(((assoc or {}).get("to") or {}).get("id", ""))
            specs = (assoc or {}).get("types") or []
            if not specs:
                raise Invalid(400, "Invalid input JSON: an association needs at least one type")
            for spec in specs:
                if spec.get("associationCategory") != "HUBSPOT_DEFINED" or \
                        spec.get("associationTypeId") not in CONTACT_TO_COMPANY:
                    raise Invalid(400, f"invalid association type {spec.get('associationCategory')}/"
                                       f"{spec.get('associationTypeId')} from contacts")
            if to_id not in state.companies:
                raise Invalid(400, f"Association target companies {to_id} does not exist")
            companies.append(to_id)
        return companies

    @app.post("/crm/v3/objects/contacts/batch/create")
    def create_contacts():
        """New contacts with their company associations; all or nothing. HubSpot e-mails are
        unique: one that exists refuses the whole batch with 409, naming the first contact."""
        started, inputs = now_iso(), batch_inputs(json_body())
        checked = []
        for item in inputs:
            if not isinstance(item, dict):
                raise Invalid(400, "Invalid input JSON: each input must be an object")
            props = state.check_properties("contacts", item.get("properties", {}))
            if "email" in props:
                props["email"] = checked_email(props["email"]).lower()
            checked.append((props, item))
        with state.lock:
            links = [company_links(item) for _, item in checked]
            emails = [p["email"] for p, _ in checked if p.get("email")]
            if len(set(emails)) != len(emails):
                raise Invalid(400, "Duplicate IDs found in batch input")
            existing = next((r for e in emails if (r := state.contact_by_email(e))), None)
            if existing is not None:
                raise Invalid(409, f"Contact already exists. Existing ID: {existing['id']}")
            results = []
            for (props, item), companies in zip(checked, links, strict=True):
                now = now_iso()
                record = state.new_record({"createdate": now, "lastmodifieddate": now, **props})
                state.contacts[record["id"]] = record
                for company_id in companies:  # the first one is the contact's primary company
                    state.associate_company(record["id"], company_id)
                results.append(echo_trace_id(record_view(record, None), item))
        return jsonify({"status": "COMPLETE", "results": results, "startedAt": started,
                        "completedAt": now_iso()}), 201

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

    @app.post("/crm/v3/objects/contacts/batch/read")
    def batch_read_contacts():
        """By record id or by ``idProperty`` email; ids HubSpot cannot find come back as a 207
        error naming them, the others as results with the asked properties."""
        started, body = now_iso(), json_body()
        inputs, id_property = batch_inputs(body), body.get("idProperty")
        if id_property not in (None, "hs_object_id", "email"):
            raise Invalid(400, f"Unable to read by non-unique property {id_property}")
        names = body.get("properties", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise Invalid(400, "Invalid input JSON: properties must be a list of property names")
        if any(not isinstance(i, dict) or not str(i.get("id", "")).strip() for i in inputs):
            raise Invalid(400, "Invalid input JSON: every input needs an id")
        results, missing = [], []
        with state.lock:
            for item in inputs:
                key = str(item["id"]).strip()
                record = state.contact_by_email(key) if id_property == "email" else state.contacts.get(key)
                if record is None:
                    missing.append(key)
                elif record["id"] not in {r["id"] for r in results}:
                    results.append(record_view(record, names, ("createdate", "hs_object_id", "lastmodifieddate")))
        out = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()}
        if not missing:
            return jsonify(out)
        out.update(numErrors=1, errors=[{
            "status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing},
            "message": "Could not get some CONTACT objects, they may be deleted or not exist. "
                       "Check that ids are valid."}])
        return jsonify(out), 207

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
        return jsonify(record_view(find_contact(contact_id), requested_properties(request.args),
                                   contact_defaults, associations_asked(), source="contact"))

    @app.get("/crm/v3/objects/companies/<company_id>")
    def get_company(company_id):
        record = state.companies.get(company_id)
        if record is None:
            raise Invalid(404, "Object not found.  objectId are usually numeric.")
        return jsonify(record_view(record, requested_properties(request.args),
                                   ("hs_object_id", "name", "domain")))

    @app.patch("/crm/v3/objects/contacts/<contact_id>")
    def update_contact(contact_id):
        props = state.check_properties("contacts", json_body().get("properties", {}))
        with state.lock:
            record = find_contact(contact_id)
            record["properties"].update(props)
            record["updatedAt"] = record["properties"]["lastmodifieddate"] = now_iso()
        return jsonify(record_view(record, None))

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
