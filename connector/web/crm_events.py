"""``/webhooks/zendesk`` and ``/webhooks/hubspot``: events from the CRMs.

Same checklist as the survey webhooks (``connector.inbound.pipeline``): 413 ->
401 -> 415 -> 400 -> 422 -> 200. Events are acknowledged with 200 (vendors
retry anything else), including unknown types, which are recorded as ignored.
"""
from flask import Blueprint, jsonify

from connector.cases import hubspot_events, zendesk_events
from connector.inbound.crm_events import HUBSPOT_EVENTS, ZENDESK_EVENTS
from connector.inbound.pipeline import Received, receive
from connector.infra import counters
from connector.web.current import runtime
from connector.web.deliveries import note, record_deliveries
from connector.web.tenancy import tenant_routes, tenant_runtime, tenant_settings
from connector.web.webhooks import answer, request_facts

bp = Blueprint("crm_events", __name__, url_prefix="/webhooks")
record_deliveries(bp, lambda req: req.path.rstrip("/").rsplit("/", 1)[-1])
tenant_routes(bp)


def _receive(source):
    rt = runtime()
    return receive(source, request_facts(), config=tenant_settings(), now=lambda: rt.clock().timestamp())


@bp.post("/zendesk")
def zendesk():
    received = _receive(ZENDESK_EVENTS)
    if not isinstance(received, Received):
        return answer(received, ZENDESK_EVENTS.name)
    event = received.value
    outcome, reason = zendesk_events.handle(tenant_runtime(), event)
    note(outcome, reason, delivery_id=event.get("id"))
    runtime().notify()
    return jsonify(status=outcome, detail=reason)


@bp.post("/hubspot")
def hubspot():
    received = _receive(HUBSPOT_EVENTS)
    if not isinstance(received, Received):
        return answer(received, HUBSPOT_EVENTS.name)
    events = received.value
    rt = runtime()
    # App-level webhooks: the signed portalId says whose events these are (none: no one's).
    def tenant_of(portal):
        tenant = rt.directory.tenant_of("hubspot", portal) if rt.directory else "default"
        if tenant is None:
            counters.ignored("hubspot events: portal not installed")
        return tenant
    outcome, reason = hubspot_events.handle(rt, events, tenant_of=tenant_of)
    note(outcome, reason, delivery_id=str(events[0].get("eventId") or "") or None)
    runtime().notify()
    return jsonify(status=outcome, detail=reason)
