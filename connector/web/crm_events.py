"""``/webhooks/zendesk`` and ``/webhooks/hubspot``: events from the CRMs.

Same rejection checklist as the survey webhooks: 413 -> 401 -> 415 -> 400 ->
422 -> 200. Events are acknowledged with 200 (vendors retry anything else),
including unknown types, which are recorded as ignored.
"""
from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from connector.cases import hubspot_events
from connector.cases import zendesk_events
from connector.inbound.crm_signatures import verify_hubspot_v3, verify_zendesk
from connector.inbound.json_body import BodyError, parse_json
from connector.inbound.standard_webhooks import SignatureError
from connector.web.deliveries import note, record_deliveries
from connector.web.tenancy import tenant_routes, tenant_runtime, tenant_settings
from connector.web.webhooks import public_url

bp = Blueprint("crm_events", __name__, url_prefix="/webhooks")
record_deliveries(bp, lambda req: req.path.rstrip("/").rsplit("/", 1)[-1])
tenant_routes(bp)


def _reject(status: int, error: str, message: str, **extra):
    note("rejected", f"{error}: {message}" if status in (401, 415) else error)
    return jsonify(error=error, message=message, **extra), status


def _checked(secret_key: str, verify):
    """Run the checklist up to a parsed JSON body; return (payload, None) or (None, response)."""
    raw = request.get_data(cache=True)
    secrets = (tenant_settings().get(secret_key) or "").split()
    if not secrets:
        return None, _reject(401, "invalid_signature", f"RECOVERY_{secret_key} is not configured")
    try:
        verify(secrets, raw)
    except SignatureError as exc:
        return None, _reject(401, "invalid_signature", str(exc))
    if not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
        return None, _reject(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        return parse_json(raw), None
    except BodyError as exc:
        return None, _reject(400, "invalid_json", f"body is not JSON: {exc}")


def _now():
    return current_app.extensions["recovery"].clock().timestamp()


def _tolerance() -> int:
    return int(current_app.config["WEBHOOK_TOLERANCE_SECONDS"])


@bp.post("/zendesk")
def zendesk():
    payload, rejected = _checked("ZENDESK_WEBHOOK_SECRET", lambda secrets, raw: verify_zendesk(
        secrets, request.headers, raw, tolerance=_tolerance(), now=_now))
    if rejected:
        return rejected
    try:
        event = zendesk_events.parse(payload)
    except ValidationError as exc:
        return _reject(422, "validation_failed", "some fields are invalid", fields=exc.messages)
    outcome, reason = zendesk_events.handle(tenant_runtime(), event)
    note(outcome, reason, delivery_id=event.get("id"))
    current_app.extensions["recovery"].notify()
    return jsonify(status=outcome, detail=reason)


@bp.post("/hubspot")
def hubspot():
    payload, rejected = _checked("HUBSPOT_CLIENT_SECRET", lambda secrets, raw: verify_hubspot_v3(
        secrets, request.method, public_url(), request.headers, raw, tolerance=_tolerance(), now=_now))
    if rejected:
        return rejected
    try:
        events = hubspot_events.parse(payload)
    except ValidationError as exc:
        return _reject(422, "validation_failed", "some events are invalid", fields=exc.messages)
    rt = current_app.extensions["recovery"]
    # App-level webhooks: the signed portalId says whose events these are.
    tenant_of = (lambda portal: rt.directory.tenant_of("hubspot", portal)) if rt.directory else (lambda _: "default")
    outcome, reason = hubspot_events.handle(rt, events, tenant_of=tenant_of)
    note(outcome, reason, delivery_id=str(events[0].get("eventId") or "") or None)
    current_app.extensions["recovery"].notify()
    return jsonify(status=outcome, detail=reason)
