"""Compensation: the default gesture by value tier, and what the agent records.

The grid (``mappings/compensation.json``) is the case study's: critical customers 2 months
free and priority access to requested features, high 1 month free and 90 days of priority
support, standard 10–25% of the problem transaction; structural cases (poor fit) a pro-rata
refund and migration help. It is a default, not an obligation: the guidance asks the agent to
find out first what the customer values, and "none" with a reason is a valid outcome.

The record is what an agent submits when completing the stage; ``amount`` is the monetary
value of the gesture in ``currency`` whatever its type (for ``free_months`` too), so gestures
can be added up and compared across cases.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain.rules import VALUE_TIERS

NONE = "none"  # no gesture: a recorded outcome, with its reason
COMPENSATION_TYPES = ("discount", "credit", "refund", "free_months", "gift", "other", NONE)
_MAX_AMOUNT = Decimal("1000000000")  # a sanity bound: catches a pasted card number, not policy
MAX_PRIORITY_SUPPORT_DAYS = 366
_MISSING = "Missing data for required field."


@dataclass(frozen=True)
class Gesture:
    offer: str                               # what the agent may propose, in the agent's words
    priority_support_days: int | None = None  # pre-filled in the sidebar form when set


@dataclass(frozen=True)
class CompensationGrid:
    guidance: str
    tiers: Mapping[str, Gesture]
    structural: Gesture


def _text(max_length: int) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length))


def _days(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_PRIORITY_SUPPORT_DAYS), **kwargs)


class GestureSchema(Schema):
    offer = _text(300)
    priority_support_days = _days(load_default=None)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: object) -> Gesture:
        return Gesture(**data)


class CompensationSchema(Schema):
    guidance = _text(600)
    tiers = fields.Nested(Schema.from_dict({tier: fields.Nested(GestureSchema, required=True)
                                            for tier in VALUE_TIERS}), required=True)
    structural = fields.Nested(GestureSchema, required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: object) -> CompensationGrid:
        return CompensationGrid(guidance=data["guidance"], tiers=dict(data["tiers"]), structural=data["structural"])


def load_compensation(directory: Path | str | None = None) -> CompensationGrid:
    return cast(CompensationGrid, mappings.load("compensation", CompensationSchema(), directory))


def default_gesture(value_tier: str, profile: str | None, *, grid: CompensationGrid) -> Gesture:
    """A structural case's gesture helps the customer leave well, whatever their value."""
    if value_tier not in grid.tiers:
        raise ValueError(f"unknown value tier {value_tier!r}")
    return grid.structural if profile == "structural" else grid.tiers[value_tier]


def compensation_guidance(value_tier: str, profile: str | None, *, grid: CompensationGrid) -> str:
    gesture = default_gesture(value_tier, profile, grid=grid)
    whose = "a structural case (poor fit)" if profile == "structural" else f"a {value_tier}-value customer"
    return f"{grid.guidance} Default for {whose}: {gesture.offer}."


def _minor_units(amount: Decimal) -> None:
    # ISO 4217 currencies have at most 3 decimals (e.g. KWD); more is a typo.
    # The exponent is a str ('n', 'N', 'F') only for NaN and infinities, which fields.Decimal
    # (allow_nan=False) refuses before validators run.
    if cast(int, amount.as_tuple().exponent) < -3:
        raise ValidationError("at most 3 decimal places")


class CompensationRecord(TypedDict):
    """What ``CompensationRecordSchema`` loads: a gesture (type, amount, currency) or "none"."""
    type: str
    note: str | None
    amount: NotRequired[Decimal]
    currency: NotRequired[str]                # upper case
    reason: NotRequired[str]                  # type "none" only: why no gesture
    priority_support_days: NotRequired[int]   # a gesture that includes priority support


class CompensationRecordSchema(Schema):
    """Load gives ``amount`` as a Decimal; dump gives it as a string, safe for JSON columns."""

    type = fields.String(required=True, validate=validate.OneOf(COMPENSATION_TYPES))
    amount = fields.Decimal(as_string=True, validate=[
        validate.Range(min=0, max=_MAX_AMOUNT, min_inclusive=False), _minor_units])
    currency = fields.String(validate=validate.Regexp(
        r"^[A-Za-z]{3}$", error="must be an ISO 4217 code of 3 letters, e.g. EUR"))
    note = fields.String(load_default=None, validate=validate.Length(max=500))
    reason = fields.String(validate=validate.Length(max=500))
    priority_support_days = _days()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _gesture_or_none(self, data: Mapping[str, Any], original: Any, **kwargs: object) -> None:
        given = original if isinstance(original, Mapping) else {}
        errors: dict[str, list[str]] = {}
        if given.get("type") == NONE:
            if not str(given.get("reason") or "").strip():
                errors["reason"] = ["Say why no gesture was offered."]
            for name in ("amount", "currency", "priority_support_days"):
                if name in given:
                    errors[name] = ["Not allowed when type is none."]
        else:
            for name in ("amount", "currency"):
                if name not in given:
                    errors[name] = [_MISSING]
            if "reason" in given:
                errors["reason"] = ["Only for type none (use note for a gesture)."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data: CompensationRecord, **kwargs: object) -> CompensationRecord:
        if "currency" in data:
            data = {**data, "currency": data["currency"].upper()}
        if "reason" in data:
            data = {**data, "reason": data["reason"].strip()}
        return data


def describe(record: Mapping[str, Any]) -> str:
    """One line for the ticket note: the gesture, or "none" and why."""
    if record.get("type") == NONE:
        return f"Compensation: none ({record.get('reason')})"
    text = f"Compensation: {record.get('type')} {record.get('amount')} {record.get('currency')}"
    if record.get("priority_support_days"):
        text += f" + {record['priority_support_days']} days of priority support"
    return text + (f" ({record['note']})" if record.get("note") else "")
