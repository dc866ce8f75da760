"""Compensation guidance by value tier, and the record an agent submits."""
import json
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from connector.domain.compensation import CompensationRecordSchema, compensation_guidance, describe, load_compensation
from connector.domain.policies import load_policies, stage_asks
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

GRID = load_compensation()
POLICIES = load_policies()


@pytest.mark.parametrize("tier,profile,expected", [
    ("critical", "operational", "2 months free and priority access to the features they asked for"),
    ("high", "relational", "1 month free and 90 days of priority support"),
    ("standard", None, "10–25% of the problem transaction"),
    # A structural case (poor fit) gets the exit gesture whatever the customer's value.
    ("critical", "structural", "pro-rata refund of the unused period and help with the migration"),
    ("standard", "structural", "pro-rata refund of the unused period and help with the migration"),
])
def test_the_ask_carries_the_grid_default_and_asks_what_the_customer_values(tier, profile, expected):
    ask = stage_asks(profile, tier, POLICIES)["compensation"]
    assert expected in ask
    assert "Ask first what the customer values" in ask and "only where it fits" in ask
    assert '"none" with the reason' in ask


def test_only_the_high_tier_defaults_to_priority_support():
    assert {tier: g.priority_support_days for tier, g in GRID.tiers.items()} == {
        "critical": None, "high": 90, "standard": None}


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="value tier"):
        compensation_guidance("gold", None, grid=GRID)


def test_mapping_needs_every_tier_and_names_the_missing_one(tmp_path):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "compensation.json").read_text(encoding="utf-8"))
    del raw["tiers"]["high"]
    raw["tiers"]["standard"]["offer"] = ""
    raw["structural"]["priority_support_days"] = 0
    (tmp_path / "compensation.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_compensation(tmp_path)
    assert error.value.messages == {
        "tiers": {"high": ["Missing data for required field."],
                  "standard": {"offer": ["Length must be between 1 and 300."]}},
        "structural": {"priority_support_days": ["Must be greater than or equal to 1 and less than or equal to 366."]}}


SCHEMA = CompensationRecordSchema()


@pytest.mark.parametrize("payload,expected", [
    ({"type": "discount", "amount": "25.50", "currency": "EUR"},
     {"type": "discount", "amount": Decimal("25.50"), "currency": "EUR", "note": None}),
    ({"type": "free_months", "amount": 240, "currency": "usd", "note": "2 months of Pro plan"},
     {"type": "free_months", "amount": Decimal("240"), "currency": "USD",
      "note": "2 months of Pro plan"}),
    ({"type": "refund", "amount": "12.345", "currency": "KWD", "note": None},
     {"type": "refund", "amount": Decimal("12.345"), "currency": "KWD", "note": None}),
    ({"type": "free_months", "amount": "99", "currency": "EUR", "priority_support_days": 90},
     {"type": "free_months", "amount": Decimal("99"), "currency": "EUR", "note": None,
      "priority_support_days": 90}),
    ({"type": "none", "reason": "  Wants the fix, not a gesture.  "},
     {"type": "none", "reason": "Wants the fix, not a gesture.", "note": None}),
    ({"type": "none", "reason": "x" * 500, "note": "asked on the call"},
     {"type": "none", "reason": "x" * 500, "note": "asked on the call"}),
])
def test_valid_records(payload, expected):
    assert SCHEMA.load(payload) == expected


def test_dump_is_json_safe():
    record = SCHEMA.load({"type": "credit", "amount": "99.90", "currency": "EUR"})
    assert json.loads(json.dumps(SCHEMA.dump(record)))["amount"] == "99.90"


@pytest.mark.parametrize("payload,field", [
    ({"type": "voucher", "amount": "10", "currency": "EUR"}, "type"),
    ({"amount": "10", "currency": "EUR"}, "type"),
    ({"type": "credit", "amount": "0", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "-5", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "NaN", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "Infinity", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "ten", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": True, "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "10.0001", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "4111111111111111", "currency": "EUR"}, "amount"),
    ({"type": "credit", "currency": "EUR"}, "amount"),
    ({"type": "credit", "amount": "10", "currency": "EURO"}, "currency"),
    ({"type": "credit", "amount": "10", "currency": "€"}, "currency"),
    ({"type": "credit", "amount": "10", "currency": "E1R"}, "currency"),
    ({"type": "credit", "amount": "10"}, "currency"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "note": "x" * 501}, "note"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "approved_by": "me"}, "approved_by"),
    ({"type": "none"}, "reason"),
    ({"type": "none", "reason": ""}, "reason"),
    ({"type": "none", "reason": "   "}, "reason"),
    ({"type": "none", "reason": 42}, "reason"),
    ({"type": "none", "reason": "x" * 501}, "reason"),
    ({"type": "none", "reason": "no", "amount": "10"}, "amount"),
    ({"type": "none", "reason": "no", "priority_support_days": 90}, "priority_support_days"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "reason": "because"}, "reason"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "priority_support_days": 0}, "priority_support_days"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "priority_support_days": 367}, "priority_support_days"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "priority_support_days": "90"}, "priority_support_days"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "priority_support_days": 90.5}, "priority_support_days"),
])
def test_invalid_records_name_the_field(payload, field):
    with pytest.raises(ValidationError) as error:
        SCHEMA.load(payload)
    assert list(error.value.messages) == [field]


def test_note_of_500_characters_is_fine():
    assert len(SCHEMA.load({"type": "gift", "amount": "30", "currency": "EUR",
                            "note": "x" * 500})["note"]) == 500


def test_every_wrong_field_is_named_at_once():
    with pytest.raises(ValidationError) as error:
        SCHEMA.load({"type": "cash", "amount": -5})
    assert set(error.value.messages) == {"type", "amount", "currency"}


@pytest.mark.parametrize("payload,line", [
    ({"type": "none", "reason": "Wants the fix only."}, "Compensation: none (Wants the fix only.)"),
    ({"type": "free_months", "amount": "99", "currency": "EUR", "priority_support_days": 90},
     "Compensation: free_months 99 EUR + 90 days of priority support"),
    ({"type": "credit", "amount": "10", "currency": "EUR", "note": "one month"},
     "Compensation: credit 10 EUR (one month)"),
])
def test_the_ticket_note_line(payload, line):
    assert describe(SCHEMA.dump(SCHEMA.load(payload))) == line
