"""Survey webhooks: ``POST /webhooks/surveys/<vendor>``, one route for every source.

The rejection checklist runs in the same order for every vendor, one status
per reason: 404 unknown vendor -> 413 too large -> 401 signature (or secret
not configured) -> 415 not JSON -> 400 unparsable -> 422 invalid (fields
named) -> 202 stored (or 200 already stored / 200 acknowledged and ignored).
Nothing is written before the last step. The checklist itself is
``connector.inbound.pipeline``; the sources live in ``connector.inbound.sources``,
each mapping its vendor's payload to the generic answer, so one schema and one
intake guard the store. This module also holds the Flask side of the pipeline
that the CRM event routes share: the request's facts in, the answer out.
"""
import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from connector.cases import intake
from connector.cases.holdout import holdout_draw
from connector.inbound.pipeline import Deferred, Received, Rejection, RequestFacts, Stopped, receive
from connector.inbound.sources import registry
from connector.infra import counters
from connector.runtime import Runtime
from connector.web import intake_limit
from connector.web.current import runtime
from connector.web.deliveries import (
    delivery_id_of,
    duplicate_row,
    field_names,
    note,
    record_deliveries,
    recorded,
    unauthenticated,
    unlogged,
)
from connector.web.tenancy import current_tenant, tenant_routes, tenant_settings

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
record_deliveries(bp, lambda req: (req.view_args or {}).get("vendor") or req.path.rstrip("/").rsplit("/", 1)[-1])
tenant_routes(bp)


def public_url() -> str:
    """The URL the sender signed: ``PUBLIC_BASE_URL`` + path when set (behind a proxy)."""
    public = current_app.config.get("PUBLIC_BASE_URL")
    if not public:
        return request.url
    query = request.query_string.decode("latin-1")
    return str(public).rstrip("/") + request.path + (f"?{query}" if query else "")


def request_facts() -> RequestFacts:
    """This request as the pipeline reads it; reading the body raises 413 past MAX_CONTENT_LENGTH."""
    return RequestFacts(request.method, public_url, request.headers, request.get_data(cache=True),
                        request.mimetype)


def answer(stopped: Stopped, source: str):
    """The JSON answer to a delivery the pipeline stopped, and its note in the delivery log."""
    if isinstance(stopped, Rejection):
        log.info("delivery rejected status=%s reason=%s", stopped.status, stopped.error)
        # A bad signature or content type is the sender's set-up to fix: the log says what is wrong.
        reason = f"{stopped.error}: {stopped.message}" if stopped.status in (401, 415) else stopped.error
        if stopped.status == 422 and field_names(stopped.extra.get("fields")):  # which fields, never their values
            reason = f"{stopped.error}: {', '.join(field_names(stopped.extra['fields']))}"
        note("rejected", reason, stopped.delivery_id)
        return jsonify(error=stopped.error, message=stopped.message, **stopped.extra), stopped.status
    if isinstance(stopped, Deferred):
        log.warning("delivery deferred source=%s reason=%s", source, stopped.reason)
        note("deferred", stopped.reason, stopped.delivery_id)
        return jsonify(error="upstream_unavailable", message=stopped.reason), 503, {"Retry-After": "60"}
    log.info("delivery ignored source=%s reason=%s", source, stopped.reason)
    if stopped.authenticated:
        note("ignored", stopped.reason, stopped.delivery_id)
    else:
        unauthenticated("unsigned_ping")
    return jsonify(status="ignored", reason=stopped.reason), 200


def _unknown():
    return answer(Rejection(404, "unknown_vendor",
                            f"no survey source by that name; one of: {', '.join(sorted(registry.SOURCES))}"), "")


@bp.route("/surveys/<vendor>", methods=["HEAD"])
def survey_check(vendor):
    """SurveyMonkey checks a subscription URL with HEAD before it sends anything."""
    if registry.get(vendor) is None:
        return _unknown()
    unauthenticated("head_check")  # anyone may send a HEAD: counted, never stored
    return "", 200


@bp.post("/surveys/<vendor>")
def survey(vendor):
    source = registry.get(vendor)
    if source is None:
        return _unknown()
    rt = runtime()
    # A tenant's requests verify with that tenant's own secrets only.
    received = receive(source, request_facts(), config=tenant_settings(), now=lambda: rt.clock().timestamp(),
                       mapping=getattr(rt, "survey_mappings", {}).get(vendor))
    if not isinstance(received, Received):
        return answer(received, vendor)
    tenant = _signed_portal_tenant(rt, vendor, received.payload)
    if tenant is None:  # a portal no tenant installed: no one's log either
        counters.ignored("hubspot survey: portal not installed")
        unlogged()
        return jsonify(status="ignored", reason="HubSpot portal not installed"), 200
    too_many = intake_limit.refused(tenant)  # after the signature: only the tenant's own answers count
    if too_many is not None:
        return too_many
    data, now = received.value, rt.clock()
    policies = rt.policies if rt.directory is None else rt.directory.policies(tenant, rt.policies)  # its owners
    delivery_id = delivery_id_of(received.delivery_id)
    result = intake.accept(rt.sessions, policies, data, source=vendor, now=now, tenant_id=tenant,
                           delivery_id=delivery_id, holdout=holdout_draw(rt, tenant),
                           log_duplicate=duplicate_row(vendor, delivery_id, now, data["response_id"]))
    recorded()
    if result.status == 202:
        rt.notify()
    return stored_answer(result.body, result.status)


# What jsonify writes (sorted keys, compact, a final newline) from one encoder built once:
# jsonify builds an encoder per call for its ``default=`` hook, which an answer of ids never needs.
_ANSWER_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def stored_answer(body: dict, status: int) -> Response:
    """The answer to a stored (or already stored) survey answer: its response_id and case_id."""
    return current_app.response_class(_ANSWER_JSON.encode(body) + "\n", status=status, mimetype="application/json")


def _signed_portal_tenant(rt: Runtime, vendor: str, payload) -> str | None:
    """HubSpot signs with the app's secret for every portal: the signed ``portalId`` names the
    tenant; a missing or unknown one names none (``TenantDirectory.tenant_of``: fail closed)."""
    if vendor != "hubspot" or rt.directory is None or current_tenant() != "default":
        return current_tenant()
    portal = payload.get("portalId") if isinstance(payload, dict) else None
    if portal is None and rt.directory.unnamed_is_default("hubspot"):
        return current_tenant()  # one account, no pin: an answer is that account's, HubSpot connected or not
    return rt.directory.tenant_of("hubspot", portal)
