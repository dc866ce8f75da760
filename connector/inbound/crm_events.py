"""Zendesk's and HubSpot's event webhooks as inbound sources: their secrets, signatures and shapes.

Here an event is only authenticated and validated; what it changes is the use
cases' business (``connector.cases.zendesk_events`` and ``hubspot_events``).
"""
from marshmallow import ValidationError

from connector.inbound.crm_event_schemas import (
    HubSpotBatchSchema,
    ZendeskEventSchema,
    ZendeskStatusChangeSchema,
    ZendeskTagsChangeSchema,
    ZendeskTicketCreatedSchema,
    ZendeskTicketDetailSchema,
)
from connector.inbound.crm_signatures import verify_hubspot_v3, verify_zendesk
from connector.inbound.source import KeyedSecrets, tolerance

TAGS_CHANGED = "zen:event-type:ticket.tags_changed"
STATUS_CHANGED = "zen:event-type:ticket.status_changed"
TICKET_CREATED = "zen:event-type:ticket.created"


def parse_zendesk_event(payload) -> dict:
    """Validate an event (raises ValidationError with field messages)."""
    if not isinstance(payload, dict):
        raise ValidationError({"_schema": ["body must be a JSON object"]})
    event = ZendeskEventSchema().load(payload)
    if event["type"] == TICKET_CREATED:
        try:
            event["detail"] = ZendeskTicketCreatedSchema().load(event.get("detail") or {})
        except ValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from None
        return event
    change = {TAGS_CHANGED: ZendeskTagsChangeSchema, STATUS_CHANGED: ZendeskStatusChangeSchema}.get(event["type"])
    if change is not None:
        errors = {}
        for name, schema in (("detail", ZendeskTicketDetailSchema), ("event", change)):
            try:
                event[name] = schema().load(event.get(name) or {})
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
    return event


def parse_hubspot_events(payload) -> list[dict]:
    """HubSpot batches events in an array (a lone object is taken as a batch of one)."""
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        raise ValidationError({"_schema": ["body must be a JSON array of events"]})
    return HubSpotBatchSchema().load({"events": payload})["events"]


class _CrmEvents(KeyedSecrets):
    invalid_message = "some fields are invalid"

    def is_unsigned_ping(self, raw_body: bytes) -> bool:
        return False

    def delivery_id(self, headers, payload) -> str | None:
        return None  # a rejected event is logged without an id; the route names an accepted one by its own


class ZendeskEvents(_CrmEvents):
    name = "zendesk"
    secret_keys = ("ZENDESK_WEBHOOK_SECRET",)

    def verify(self, config, facts, now):
        verify_zendesk(self.secrets(config), facts.headers, facts.body, tolerance=tolerance(config), now=now)

    def validate(self, payload, config, mapping, facts) -> dict:
        return parse_zendesk_event(payload)


class HubSpotEvents(_CrmEvents):
    name = "hubspot"
    secret_keys = ("HUBSPOT_CLIENT_SECRET",)  # app webhooks are signed with the app's client secret
    invalid_message = "some events are invalid"

    def verify(self, config, facts, now):
        verify_hubspot_v3(self.secrets(config), facts.method, facts.url, facts.headers, facts.body,
                          tolerance=tolerance(config), now=now)

    def validate(self, payload, config, mapping, facts) -> list[dict]:
        return parse_hubspot_events(payload)


ZENDESK_EVENTS = ZendeskEvents()
HUBSPOT_EVENTS = HubSpotEvents()
