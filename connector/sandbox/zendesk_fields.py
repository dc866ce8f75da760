"""Custom ticket fields in the Zendesk stand-in, as the Ticket Fields API documents them.

* ``GET /api/v2/ticket_fields.json`` lists them; ``POST`` creates one from
  ``{"ticket_field": {"type", "title", …}}``; ``PUT /api/v2/ticket_fields/{id}.json`` changes it.
* Only the types the connector may create are accepted here (``tagger``, ``text``); a ``tagger``
  (drop-down) field requires ``custom_field_options``, each ``{"name", "value"}``, the value a
  tag (no space or comma), values unique; an update that sends options replaces them all.
* On a ticket, ``custom_fields: [{"id", "value"}]`` names an existing field; a drop-down value
  must be one of its options (else ``422``), and it IS a tag: setting the value adds that tag and
  removes the field's other option tags, and a ticket tagged with an option's value shows that
  option as the field's value (``sync_tagger_fields``), as Zendesk keeps the two in step.
"""
import re

from flask import jsonify, request
from werkzeug.exceptions import BadRequest

from connector.sandbox.zendesk_errors import RecordInvalid

_TAG = re.compile(r"^[^\s,]{1,80}$")
FIELD_TYPES = ("tagger", "text")
FIELD_KEYS = {"type", "title", "description", "custom_field_options", "active", "required", "position",
              "visible_in_portal", "editable_in_portal", "agent_description"}


def _options(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise RecordInvalid({"custom_field_options": "Custom field options: a drop-down needs at least one option"})
    seen, options = set(), []
    for option in raw:
        if not isinstance(option, dict) or set(option) - {"id", "name", "value"} or \
                not isinstance(option.get("name"), str) or not option["name"].strip() or \
                not isinstance(option.get("value"), str) or not _TAG.match(option["value"]):
            raise RecordInvalid({"custom_field_options": "Custom field options: each needs a name and a tag value"})
        if option["value"].lower() in seen:
            raise RecordInvalid({"custom_field_options": f"Custom field options: {option['value']} is used twice"})
        seen.add(option["value"].lower())
        options.append({"name": option["name"], "value": option["value"].lower()})
    return options


def _field(state, data: dict, existing: dict | None) -> dict:
    if set(data) - FIELD_KEYS:
        raise RecordInvalid({key: f"{key}: is not a valid ticket field attribute" for key in set(data) - FIELD_KEYS})
    kind = data.get("type", (existing or {}).get("type"))
    if kind not in FIELD_TYPES or (existing is not None and kind != existing["type"]):
        raise RecordInvalid({"type": f"Type: {kind!r} is not valid here"})
    title = data.get("title", (existing or {}).get("title"))
    if not isinstance(title, str) or not title.strip():
        raise RecordInvalid({"title": "Title: cannot be blank"})
    field = dict(existing or {"id": state.next_id(), "active": True, "removable": True})
    field.update(type=kind, title=title, raw_title=title)
    if kind == "tagger" and ("custom_field_options" in data or existing is None):
        field["custom_field_options"] = [dict(o, id=state.next_id()) for o in _options(data.get("custom_field_options"))]
    return field


def check_custom_fields(state, raw) -> list[dict]:
    """A ticket's ``custom_fields`` as Zendesk accepts them (see the module docstring)."""
    if not isinstance(raw, list) or not all(isinstance(v, dict) and set(v) == {"id", "value"} for v in raw):
        raise RecordInvalid({"custom_fields": "Custom fields: a list of {id, value}"})
    for value in raw:
        field = state.ticket_fields.get(value["id"])
        if field is None:
            raise RecordInvalid({"custom_fields": f"Custom fields: no field {value['id']}"})
        if field["type"] == "tagger" and value["value"] is not None and \
                value["value"] not in {o["value"] for o in field["custom_field_options"]}:
            raise RecordInvalid({"custom_fields": f"{field['title']}: {value['value']!r} is not a valid option"})
    return raw


def apply_custom_fields(state, tags: list[str], values: list[dict]) -> list[str]:
    """The ticket's tags once drop-down values are set: the option's tag in, its siblings out."""
    for value in values:
        field = state.ticket_fields[value["id"]]
        if field["type"] != "tagger":
            continue
        siblings = {o["value"] for o in field["custom_field_options"]}
        tags = [t for t in tags if t not in siblings] + ([value["value"]] if value["value"] else [])
    return tags


def sync_tagger_fields(state, ticket: dict, values: list[dict]) -> None:
    """``ticket["custom_fields"]``: every field's value, a drop-down's read from the tags."""
    by_id = {v["id"]: v["value"] for v in ticket.get("custom_fields") or []}
    by_id.update({v["id"]: v["value"] for v in values})
    for field in state.ticket_fields.values():
        if field["type"] == "tagger":
            by_id[field["id"]] = next((o["value"] for o in field["custom_field_options"] if o["value"] in ticket["tags"]),
                                      None)
    ticket["custom_fields"] = [{"id": key, "value": value} for key, value in sorted(by_id.items())]


def install_ticket_fields(app, state) -> None:
    def body() -> dict:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or set(payload) != {"ticket_field"} or \
                not isinstance(payload["ticket_field"], dict):
            raise BadRequest("The body must be a JSON object with one key, ticket_field")
        return payload["ticket_field"]

    @app.get("/api/v2/ticket_fields.json")
    @app.get("/api/v2/ticket_fields")
    def list_fields():
        with state.lock:
            return jsonify({"ticket_fields": list(state.ticket_fields.values()), "next_page": None,
                            "previous_page": None, "count": len(state.ticket_fields)})

    @app.post("/api/v2/ticket_fields.json")
    @app.post("/api/v2/ticket_fields")
    def create_field():
        data = body()
        with state.lock:
            try:
                field = _field(state, data, None)
            except RecordInvalid as exc:
                return jsonify(exc.body()), 422
            state.ticket_fields[field["id"]] = field
            return jsonify({"ticket_field": field}), 201

    @app.put("/api/v2/ticket_fields/<int:field_id>.json")
    @app.put("/api/v2/ticket_fields/<int:field_id>")
    def update_field(field_id: int):
        data = body()
        with state.lock:
            if field_id not in state.ticket_fields:
                return jsonify({"error": "RecordNotFound", "description": "Not found"}), 404
            try:
                field = _field(state, data, state.ticket_fields[field_id])
            except RecordInvalid as exc:
                return jsonify(exc.body()), 422
            state.ticket_fields[field_id] = field
            return jsonify({"ticket_field": field})
