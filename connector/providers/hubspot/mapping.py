"""The HubSpot mapping (``mappings/hubspot.json``): what the connector writes, under which names.

Admins may rename the HubSpot-side property names, labels and option labels, but
not what the connector relies on: each logical key keeps its data type, and
enumerations keep the option values the connector writes.
"""
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain.causes import CauseRules, causes_beside
from connector.domain.react import STAGE_KEYS

# logical key -> (HubSpot data type, option values the connector writes)
CONTACT_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "nps_last_score": ("number", ()),
    "nps_last_category": ("enumeration", ("promoter", "passive", "detractor")),
    "nps_last_response_at": ("datetime", ()),
    "nps_last_comment": ("string", ()),
    "csat_last_score": ("number", ()),
    "csat_last_category": ("enumeration", ("promoter", "passive", "detractor")),
    "csat_last_response_at": ("datetime", ()),
    "csat_last_comment": ("string", ()),
    "recovery_incident_open": ("bool", ("true", "false")),
    "recovery_profile": ("enumeration", ("disappointed", "chronic", "structural")),
    "recovery_priority": ("enumeration", ("urgent", "high", "normal", "low")),
    "recovery_stage": ("enumeration", STAGE_KEYS + ("closed",)),
    "recovery_next_due_at": ("datetime", ()),
    "recovery_outcome": ("enumeration", ("promoter", "passive", "partial", "failed")),
    "recovery_zendesk_ticket_url": ("string", ()),
}
FIELD_TYPES = {  # HubSpot's valid fieldType values per type
    "string": ("text", "textarea"), "number": ("number",), "datetime": ("date",),
    "date": ("date",), "bool": ("booleancheckbox",),
    "enumeration": ("select", "radio", "checkbox", "booleancheckbox"),
}
TASK_PRIORITIES = ("HIGH", "MEDIUM", "LOW", "NONE")
# The company roll-up (SPEC "Account view", contract: names, so not renamable in the mapping).
COMPANY_PROPERTIES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {  # name -> (label, type, fieldType, options)
    "recovery_open_incidents": ("Open recovery incidents", "number", "number", ()),
    "recovery_last_detractor_at": ("Last detractor answer at", "datetime", "date", ()),
    "nps_account_score": ("Account NPS (12 months)", "number", "number", ()),
    "recovery_worst_open_priority": ("Worst open recovery priority", "enumeration", "select",
                                     ("urgent", "high", "normal", "low")),
}
# The root cause (SPEC "Root causes", contract: name): its options are the taxonomy's keys.
CAUSE_PROPERTY = "recovery_cause"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


@dataclass(frozen=True)
class PropertyDef:
    key: str
    name: str
    label: str
    type: str
    field_type: str
    description: str
    options: tuple[tuple[str, str], ...] = ()   # (value, label)

    def create_body(self, group_name: str) -> dict:
        """The HubSpot ``PropertyCreate`` JSON for this definition."""
        body = {"name": self.name, "label": self.label, "type": self.type,
                "fieldType": self.field_type, "groupName": group_name,
                "description": self.description}
        if self.options:
            body["options"] = [{"value": v, "label": lbl, "displayOrder": i, "hidden": False}
                               for i, (v, lbl) in enumerate(self.options)]
        return body


@dataclass(frozen=True, eq=False)
class HubSpotMapping:
    group_name: str
    group_label: str
    group_display_order: int
    contact_properties: MappingProxyType   # logical key -> PropertyDef
    task_priority: MappingProxyType        # zendesk priority -> HIGH/MEDIUM/LOW/NONE
    task_subject: str
    company_from_email_domain: bool = True
    free_mail_domains: frozenset[str] = frozenset()

    @property
    def company_properties(self) -> dict[str, PropertyDef]:
        return {name: PropertyDef(key=name, name=name, label=label, type=type_, field_type=field_type,
                                  description="Recovery roll-up over the company's contacts (connector).",
                                  options=tuple((v, v.title()) for v in options))
                for name, (label, type_, field_type, options) in COMPANY_PROPERTIES.items()}

    def company_by_domain(self, domain: str | None) -> bool:
        """Whether a contact without company gets its e-mail domain's (as HubSpot's auto-association)."""
        return domain is not None and self.company_from_email_domain and domain not in self.free_mail_domains

    def name(self, key: str) -> str:
        """HubSpot-side name of a logical contact property."""
        return self.contact_properties[key].name


class OptionSchema(Schema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=100))
    label = fields.String(required=True, validate=validate.Length(min=1))


class PropertySchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        NAME_RE, error="must be lower case letters, digits and underscores, starting with a letter"))
    label = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    field_type = fields.String(required=True, data_key="fieldType")
    description = fields.String(load_default="")
    options = fields.List(fields.Nested(OptionSchema), load_default=list)

    @validates_schema
    def _field_type_fits(self, data, **kwargs):
        allowed = FIELD_TYPES.get(data.get("type"), ())
        if data.get("field_type") not in allowed:
            raise ValidationError(f"must be one of {', '.join(allowed)} for type {data.get('type')}",
                                  "fieldType")


def _check_property(key: str, data: dict) -> dict:
    """Errors for one logical key, shaped like marshmallow's (field -> messages)."""
    expected_type, values = CONTACT_PROPERTIES[key]
    errors: dict = {}
    if data["name"].startswith("hs_"):
        errors["name"] = ["names starting with hs_ are reserved by HubSpot"]
    if data["type"] != expected_type:
        errors["type"] = [f"must be {expected_type}: the connector writes {expected_type} values"]
    have = [o["value"] for o in data["options"]]
    if len(set(have)) != len(have):
        errors["options"] = ["option values must be unique"]
    missing = [v for v in values if v not in have]
    if missing:
        errors["options"] = [f"missing option values: {', '.join(missing)}"]
    return errors


class ContactPropertiesSchema(Schema.from_dict(
        {key: fields.Nested(PropertySchema, required=True) for key in CONTACT_PROPERTIES})):
    @validates_schema(skip_on_field_errors=False)
    def _semantics(self, data, **kwargs):
        loaded = {k: p for k, p in data.items() if {"name", "type", "options"} <= p.keys()}
        errors = {key: e for key, prop in loaded.items() if (e := _check_property(key, prop))}
        seen: dict[str, str] = {}
        for key, prop in loaded.items():
            if prop["name"] in seen:
                errors.setdefault(key, {})["name"] = [f"same HubSpot name as {seen[prop['name']]}"]
            seen[prop["name"]] = key
        if errors:
            raise ValidationError(errors)


class GroupSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(NAME_RE))
    label = fields.String(required=True, validate=validate.Length(min=1))
    display_order = fields.Integer(load_default=-1, data_key="displayOrder")


def _valid_subject(template: str) -> None:
    try:
        template.format(stage="Stage", customer="Customer")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(f"only {{stage}} and {{customer}} may be used ({exc})") from None


class CompaniesSchema(Schema):
    """Finding the contact's company by its e-mail domain, as HubSpot's auto-association does."""
    from_email_domain = fields.Boolean(load_default=True)
    free_mail_domains = fields.List(fields.String(validate=validate.Length(min=3)), load_default=list)


class HubSpotMappingSchema(Schema):
    group = fields.Nested(GroupSchema, required=True)
    contact_properties = fields.Nested(ContactPropertiesSchema, required=True)
    task_priority = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("urgent", "high", "normal", "low"))),
        values=fields.String(validate=validate.OneOf(TASK_PRIORITIES)), required=True)
    task_subject = fields.String(load_default="Recovery · {stage} — {customer}",
                                 validate=_valid_subject)
    companies = fields.Nested(CompaniesSchema, load_default=lambda: {"from_email_domain": True,
                                                                     "free_mail_domains": []})

    @validates_schema
    def _all_priorities(self, data, **kwargs):
        missing = {"urgent", "high", "normal", "low"} - set(data.get("task_priority", {}))
        if missing:
            raise ValidationError(f"missing priorities: {', '.join(sorted(missing))}", "task_priority")

    @post_load
    def _build(self, data, **kwargs) -> HubSpotMapping:
        props = {
            key: PropertyDef(key=key, name=p["name"], label=p["label"], type=p["type"],
                             field_type=p["field_type"], description=p["description"],
                             options=tuple((o["value"], o["label"]) for o in p["options"]))
            for key, p in data["contact_properties"].items()
        }
        return HubSpotMapping(
            group_name=data["group"]["name"], group_label=data["group"]["label"],
            group_display_order=data["group"]["display_order"],
            contact_properties=MappingProxyType(props),
            task_priority=MappingProxyType(dict(data["task_priority"])),
            task_subject=data["task_subject"],
            company_from_email_domain=data["companies"]["from_email_domain"],
            free_mail_domains=frozenset(d.lower() for d in data["companies"]["free_mail_domains"]),
        )


def with_causes(mapping: HubSpotMapping, causes: CauseRules) -> HubSpotMapping:
    """The mapping plus ``recovery_cause``, an enumeration of the taxonomy's keys (English labels),
    created with the other contact properties and given any option the taxonomy gains later."""
    prop = PropertyDef(key=CAUSE_PROPERTY, name=CAUSE_PROPERTY, label="Recovery cause", type="enumeration",
                       field_type="select", description="Root cause of the recovery case, confirmed by the agent "
                                                        "(suggested from the customer's comment until then).",
                       options=tuple((cause.key, cause.labels["en"]) for cause in causes.causes))
    return dataclasses.replace(mapping, contact_properties=MappingProxyType(
        {**mapping.contact_properties, CAUSE_PROPERTY: prop}))


def load_hubspot_mapping(directory: Path | str | None = None) -> HubSpotMapping:
    """Load and validate ``<directory>/hubspot.json`` (and the cause taxonomy beside it, for
    ``recovery_cause``); raises ``MappingError`` naming the field."""
    return with_causes(mappings.load("hubspot", HubSpotMappingSchema(), directory), causes_beside(directory))
