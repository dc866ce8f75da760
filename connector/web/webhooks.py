"""Survey webhooks: ``POST /webhooks/surveys/<vendor>``, one route for every source.

The rejection checklist runs in the same order for every vendor, one status
per reason: 404 unknown vendor -> 413 too large -> 401 signature (or secret
not configured) -> 415 not JSON -> 400 unparsable -> 422 invalid (fields
named) -> 202 stored (or 200 already stored / 200 acknowledged and ignored).
Nothing is written before the last step. The sources live in
``connector.inbound.sources``; each maps its vendor's payload to the generic
answer, so one schema and one intake guard the store.
"""
import logging

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from connector.cases import intake
from connector.inbound.json_body import BodyError, parse_json
from connector.inbound.schemas import validate_answer
from connector.inbound.sources import registry
from connector.inbound.sources.base import Ignored, RequestFacts, SignatureError, UpstreamError
from connector.web.deliveries import in_intake, note, record_deliveries, recorded
from connector.web.tenancy import current_tenant, tenant_routes, tenant_settings

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
record_deliveries(bp, lambda req: (req.view_args or {}).get("vendor") or req.path.rstrip("/").rsplit("/", 1)[-1])
tenant_routes(bp)


def _reject(status: int, error: str, message: str, delivery_id=None, **extra):
    log.info("delivery rejected status=%s reason=%s", status, error)
    note("rejected", f"{error}: {message}" if status in (401, 415) else error, delivery_id)
    return jsonify(error=error, message=message, **extra), status


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def public_url() -> str:
    """The URL the sender signed: ``PUBLIC_BASE_URL`` + path when set (behind a proxy)."""
    public = current_app.config.get("PUBLIC_BASE_URL")
    if not public:
        return request.url
    query = request.query_string.decode("latin-1")
    return str(public).rstrip("/") + request.path + (f"?{query}" if query else "")


def _unknown(vendor: str):
    return _reject(404, "unknown_vendor",
                   f"no survey source by that name; one of: {', '.join(sorted(registry.SOURCES))}")


@bp.route("/surveys/<vendor>", methods=["HEAD"])
def survey_check(vendor):
    """SurveyMonkey checks a subscription URL with HEAD before it sends anything."""
    if registry.get(vendor) is None:
        return _unknown(vendor)
    note("ignored", "HEAD check")
    return "", 200


@bp.post("/surveys/<vendor>")
def survey(vendor):
    source = registry.get(vendor)
    if source is None:
        return _unknown(vendor)
    rt = current_app.extensions["recovery"]
    config = tenant_settings()  # a tenant's requests verify with that tenant's own secrets only
    raw = request.get_data(cache=True)  # 413 raised here past MAX_CONTENT_LENGTH
    delivery = source.delivery_id(request.headers, None)
    if source.is_unsigned_ping(raw):
        note("ignored", "connection test", delivery)
        return jsonify(status="ignored", reason="connection test"), 200
    if not source.secrets(config):
        return _reject(401, "invalid_signature", source.missing_secret_message(), delivery)
    facts = RequestFacts(request.method, public_url(), request.headers)
    try:
        source.verify(config, facts, raw, lambda: rt.clock().timestamp())
    except SignatureError as exc:
        return _reject(401, "invalid_signature", str(exc), delivery)
    if not _is_json(request.mimetype):
        return _reject(415, "unsupported_media_type", "send Content-Type: application/json", delivery)
    try:
        payload = parse_json(raw)
    except BodyError as exc:
        return _reject(400, "invalid_json", f"body is not JSON: {exc}", delivery)
    delivery = source.delivery_id(request.headers, payload) or delivery
    try:
        payload = source.enrich(payload, config)
    except UpstreamError as exc:
        log.warning("delivery deferred source=%s reason=%s", vendor, exc)
        note("deferred", str(exc), delivery)
        return jsonify(error="upstream_unavailable", message=str(exc)), 503, {"Retry-After": "60"}
    mapping = getattr(rt, "survey_mappings", {}).get(vendor) or source.default_mapping()
    try:
        data = validate_answer(source.normalize(payload, mapping, facts))
    except Ignored as exc:
        log.info("delivery ignored source=%s reason=%s", vendor, exc)
        note("ignored", str(exc), delivery)
        return jsonify(status="ignored", reason=str(exc)), 200
    except ValidationError as exc:
        return _reject(422, "validation_failed", "some fields are invalid", delivery, fields=exc.messages)
    tenant = _signed_portal_tenant(rt, vendor, payload)
    if tenant is None:
        note("ignored", "HubSpot portal not installed", delivery)
        return jsonify(status="ignored", reason="HubSpot portal not installed"), 200
    now = rt.clock()
    policies = rt.policies if rt.directory is None else rt.directory.policies(tenant, rt.policies)  # its owners
    result = intake.accept(rt.sessions, policies, data, source=vendor, now=now, tenant_id=tenant,
                           log_delivery=in_intake(vendor, delivery, now, data["response_id"]))
    recorded()
    if result.status == 202:
        rt.notify()
    return jsonify(result.body), result.status


def _signed_portal_tenant(rt, vendor: str, payload) -> str | None:
    """HubSpot signs with the app's secret for every portal: the signed ``portalId`` names the tenant."""
    portal = payload.get("portalId") if vendor == "hubspot" and isinstance(payload, dict) else None
    if portal is None or rt.directory is None or current_tenant() != "default":
        return current_tenant()
    return rt.directory.tenant_of("hubspot", portal)
