"""Shapes of the CRM events we act on, validated with marshmallow.

Only the fields we read are declared; the rest of each vendor's payload is
dropped, so a field Zendesk or HubSpot adds later changes nothing.
"""
from marshmallow import EXCLUDE, Schema, fields, validate

# Zendesk ids are positive 64-bit integers: anything else would overflow a BIGINT column (a 500).
_ZENDESK_ID = validate.Range(min=1, max=2 ** 63 - 1)


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class ZendeskTicketDetailSchema(_Lenient):
    id = fields.Integer(required=True, validate=_ZENDESK_ID)  # Zendesk sends it as a string: "35436"
    external_id = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list)


class ZendeskTicketCreatedSchema(_Lenient):
    """``ticket.created``: who asked, and when (weak signal "three tickets in a month")."""
    id = fields.Integer(required=True, validate=_ZENDESK_ID)
    external_id = fields.String(load_default=None, allow_none=True)
    requester_id = fields.Integer(required=True, validate=_ZENDESK_ID)  # sent as strings: "6596848315901"
    created_at = fields.AwareDateTime(required=True)


class ZendeskTagsChangeSchema(_Lenient):
    tags_added = fields.List(fields.String(), load_default=list)
    tags_removed = fields.List(fields.String(), load_default=list)


class _Status(fields.Field):
    """Zendesk sends ``current`` as ``"SOLVED"`` or as ``{"status": "SOLVED"}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            value = value.get("status")
        if value is not None and not isinstance(value, str):
            raise self.make_error("invalid")
        return value

    default_error_messages = {"invalid": "Not a valid status."}


class ZendeskStatusChangeSchema(_Lenient):
    current = _Status(load_default=None, allow_none=True)
    previous = _Status(load_default=None, allow_none=True)


class ZendeskEventSchema(_Lenient):
    """Zendesk event webhooks: ``zen:event-type:ticket.*`` with ``detail`` and ``event``."""
    id = fields.String(load_default=None, allow_none=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=200))
    detail = fields.Dict(load_default=dict)
    event = fields.Dict(load_default=dict, allow_none=True)  # validated per type (see crm_events.parse_zendesk_event)


class HubSpotEventSchema(_Lenient):
    """One element of HubSpot's batched webhook array."""
    eventId = fields.Integer(load_default=None, allow_none=True)
    portalId = fields.Integer(load_default=None, allow_none=True)  # which installed account: the tenant
    subscriptionType = fields.String(required=True, validate=validate.Length(min=1, max=100))
    objectId = fields.Integer(required=True)
    objectTypeId = fields.String(load_default=None, allow_none=True)
    propertyName = fields.String(load_default=None, allow_none=True)
    propertyValue = fields.String(load_default=None, allow_none=True)
    occurredAt = fields.Integer(load_default=None, allow_none=True)


class HubSpotBatchSchema(_Lenient):
    events = fields.List(fields.Nested(HubSpotEventSchema), required=True,
                         validate=validate.Length(min=1, max=100))
