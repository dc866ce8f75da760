"""Reading HubSpot-shaped requests and writing HubSpot-shaped answers, for every route module.

The error body, bearer token, JSON body and batch checks, and the record view with its
``properties``/``associations`` selection, are the same on every endpoint HubSpot has.
"""
import fnmatch
import re
import uuid

from flask import request

from connector.sandbox.hubspot_schema import BATCH_LIMIT, CATEGORIES, Invalid


def error_body(status: int, message: str, category: str | None = None, errors=None) -> dict:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category or CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "ERROR")}
    if status == 429:
        body.update(errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING")
    if errors:
        body["errors"] = errors
    return body


def bearer_token(req) -> str:
    header = req.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(400, "Invalid input JSON on line 1: expected an object")
    return body


def batch_inputs(body: dict) -> list:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise Invalid(400, "Invalid input JSON: inputs must be a non-empty list")
    if len(inputs) > BATCH_LIMIT:
        raise Invalid(400, f"Batch input limit exceeded: {len(inputs)} inputs, at most {BATCH_LIMIT} allowed")
    return inputs


def echo_trace_id(out: dict, item: dict) -> dict:
    """Batch results echo the input's objectWriteTraceId, to pair them without relying on order."""
    if item.get("objectWriteTraceId"):
        out["objectWriteTraceId"] = item["objectWriteTraceId"]
    return out


def requested_properties(args) -> list[str]:
    return [p for raw in args.getlist("properties") for p in raw.split(",") if p]


def associations_asked() -> list[str]:
    return [a if a.endswith("s") else a + "s"
            for raw in request.args.getlist("associations") for a in raw.split(",") if a]


def record_view(record: dict, names: list[str] | None, defaults: tuple[str, ...] = (), assoc=(),
                source="task") -> dict:
    """The record as HubSpot answers it: every property when ``names`` is None (as writes
    answer), else the object type's ``defaults`` and the named ones that are set."""
    props = record["properties"]
    shown = props if names is None else {n: props.get(n) for n in (*defaults, *names) if n in props}
    out = {"id": record["id"], "properties": dict(shown), "createdAt": record["createdAt"],
           "updatedAt": record["updatedAt"], "archived": False}
    for kind in assoc:
        ids = record.get("associations", {}).get(kind, [])
        out.setdefault("associations", {})[kind] = {
            "results": [{"id": i, "type": f"{source}_to_{kind[:-1]}"} for i in ids]}
    return out


def matches_filter(record: dict, flt: dict) -> bool:
    """One search filter; an operator the stand-in does not know is refused, not ignored."""
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
