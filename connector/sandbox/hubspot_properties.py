"""The HubSpot stand-in's properties API: property groups and custom properties.

As strict as HubSpot on creating them (names, types, field types, options, an existing
group; 409 on a duplicate), since the connector's setup creates its own properties and
every later write is checked against them.
"""
from flask import jsonify

from connector.sandbox.hubspot_http import batch_inputs, json_body
from connector.sandbox.hubspot_schema import FIELD_TYPES, NAME_RE, Invalid, now_iso, property_definition


def register(app, state) -> None:
    def object_type(name: str) -> str:
        if name not in state.properties:
            raise Invalid(400, f"Unable to infer object type from: {name}")
        return name

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
