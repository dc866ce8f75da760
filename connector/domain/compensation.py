"""Compensation: what to offer by value tier, and what the agent records.

The guidance text (``mappings/compensation.json``) is shown as-is in the
compensation task, so admins word it for their own agents. The record is what
an agent submits when completing the stage; ``amount`` is the monetary value
of the gesture in ``currency`` whatever its type (for ``free_months`` too), so
gestures can be added up and compared across cases.
"""
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TypedDict, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate

from connector import mappings
from connector.domain.rules import VALUE_TIERS

COMPENSATION_TYPES = ("discount", "credit", "refund", "free_months", "gift", "other")
_MAX_AMOUNT = Decimal("1000000000")  # a sanity bound: catches a pasted card number, not policy


def _guidance() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=500))


class CompensationSchema(Schema):
    tiers = fields.Nested(Schema.from_dict({tier: _guidance() for tier in VALUE_TIERS}),
                          required=True)

    @post_load
    def make(self, data: Mapping[str, Mapping[str, str]], **kwargs: object) -> Mapping[str, str]:
        return dict(data["tiers"])


def load_compensation(directory: Path | str | None = None) -> Mapping[str, str]:
    return cast(Mapping[str, str], mappings.load("compensation", CompensationSchema(), directory))


def compensation_guidance(value_tier: str, *, compensation: Mapping[str, str]) -> str:
    if value_tier not in compensation:
        raise ValueError(f"unknown value tier {value_tier!r}")
    return compensation[value_tier]


def _minor_units(amount: Decimal) -> None:
    # ISO 4217 currencies have at most 3 decimals (e.g. KWD); more is a typo.
    # The exponent is a str ('n', 'N', 'F') only for NaN and infinities, which fields.Decimal
    # (allow_nan=False) refuses before validators run.
    if cast(int, amount.as_tuple().exponent) < -3:
        raise ValidationError("at most 3 decimal places")


class CompensationRecord(TypedDict):
    """What ``CompensationRecordSchema`` loads."""
    type: str
    amount: Decimal
    currency: str       # upper case
    note: str | None


class CompensationRecordSchema(Schema):
    """Load gives ``amount`` as a Decimal; dump gives it as a string, safe for JSON columns."""

    type = fields.String(required=True, validate=validate.OneOf(COMPENSATION_TYPES))
    amount = fields.Decimal(required=True, as_string=True, validate=[
        validate.Range(min=0, max=_MAX_AMOUNT, min_inclusive=False), _minor_units])
    currency = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z]{3}$", error="must be an ISO 4217 code of 3 letters, e.g. EUR"))
    note = fields.String(load_default=None, validate=validate.Length(max=500))

    @post_load
    def _upper_currency(self, data: CompensationRecord, **kwargs: object) -> CompensationRecord:
        return {**data, "currency": data["currency"].upper()}
