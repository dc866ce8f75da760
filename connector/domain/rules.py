"""Classification of one answer: category, severity, value tier, priority.

Thresholds come from ``mappings/rules.json`` (defaults of the spec); every
function here is pure so the rules can be read and tested in one place.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from connector import mappings
from connector.domain.outcome import escalate

CATEGORIES = ("promoter", "passive", "detractor")
SEVERITIES = ("critical", "moderate")
VALUE_TIERS = ("critical", "high", "standard")
ZENDESK_PRIORITIES = ("urgent", "high", "normal", "low")
SCALES = {"nps": (0, 10), "csat": (1, 5)}


class _ScaleSchema(Schema):
    promoter_min = fields.Integer(required=True)
    passive_min = fields.Integer(required=True)
    critical_max = fields.Integer(required=True)

    @validates_schema
    def _ordered(self, data: Mapping[str, int], **kwargs: object) -> None:
        if not data["critical_max"] < data["passive_min"] <= data["promoter_min"]:
            raise ValidationError("need critical_max < passive_min <= promoter_min")


def _matrix_row() -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(SEVERITIES)),
                       values=fields.String(validate=validate.OneOf(ZENDESK_PRIORITIES)),
                       required=True, validate=validate.Length(equal=len(SEVERITIES)))


class _ValueSourceSchema(Schema):
    """Where HubSpot keeps the value when the survey payload has none (e.g. contact ``total_revenue``)."""
    object = fields.String(required=True, validate=validate.OneOf(["contact", "company"]))
    property = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,99}$"))


class RulesSchema(Schema):
    nps = fields.Nested(_ScaleSchema, required=True)
    csat = fields.Nested(_ScaleSchema, required=True)
    vip_passive_opens_case = fields.Boolean(required=True)
    value_tiers = fields.Dict(keys=fields.String(validate=validate.OneOf(["critical_above", "high_from"])),
                              values=fields.Float(), required=True)
    lifetime_value_from_hubspot = fields.Nested(_ValueSourceSchema, load_default=None, allow_none=True)
    priority_matrix = fields.Nested(Schema.from_dict({tier: _matrix_row() for tier in VALUE_TIERS}),
                                    required=True)
    # A case closes only on a later answer of its own survey type from this many days after the
    # answer that opened it (or on the answer to its re-survey): earlier ones are interim.
    closing_window_days = fields.Dict(keys=fields.String(validate=validate.OneOf(sorted(SCALES))),
                                      values=fields.Integer(strict=True, validate=validate.Range(min=0, max=365)),
                                      load_default=lambda: {"nps": 30, "csat": 7})
    hubspot_task_priority = fields.Dict(keys=fields.String(validate=validate.OneOf(ZENDESK_PRIORITIES)),
                                        values=fields.String(validate=validate.OneOf(["HIGH", "MEDIUM", "LOW"])),
                                        required=True, validate=validate.Length(equal=4))


def load_rules(directory: Path | str | None = None) -> dict[str, Any]:
    return cast(dict[str, Any], mappings.load("rules", RulesSchema(), directory))


@dataclass(frozen=True)
class Classification:
    category: str
    opens_case: bool
    severity: str | None  # set when a case opens


def classify(survey_type: str, score: int, vip: bool, rules: Mapping[str, Any]) -> Classification:
    low, high = SCALES[survey_type]
    if not low <= score <= high:
        raise ValueError(f"{survey_type} score out of range")
    scale: Mapping[str, int] = rules[survey_type]
    if score >= scale["promoter_min"]:
        return Classification("promoter", False, None)
    if score >= scale["passive_min"]:
        # VIP rule: a VIP who is merely passive still gets a recovery case.
        opens = vip and rules["vip_passive_opens_case"]
        return Classification("passive", opens, "moderate" if opens else None)
    severity = "critical" if score <= scale["critical_max"] else "moderate"
    return Classification("detractor", True, severity)


def value_tier(lifetime_value: float | None, rules: Mapping[str, Any]) -> str:
    tiers: Mapping[str, float] = rules["value_tiers"]
    if lifetime_value is None:
        return "standard"
    if lifetime_value > tiers["critical_above"]:
        return "critical"
    if lifetime_value >= tiers["high_from"]:
        return "high"
    return "standard"


def priority(severity: str, tier: str, rules: Mapping[str, Any], *, churn_risk: bool = False) -> str:
    """The matrix's priority (value tier x severity); a churn risk (the customer is leaving for a
    same-category competitor, still winnable) is one level up, capped at urgent."""
    matrix: Mapping[str, Mapping[str, str]] = rules["priority_matrix"]  # tier -> severity -> Zendesk priority
    base = matrix[tier][severity]
    return escalate(base) if churn_risk else base


def hubspot_priority(zendesk_priority: str, rules: Mapping[str, Any]) -> str:
    task_priorities: Mapping[str, str] = rules["hubspot_task_priority"]
    return task_priorities[zendesk_priority]
