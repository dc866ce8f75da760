"""Compensation guidance by value tier, and the record an agent submits."""
import json
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from connector.domain.compensation import CompensationRecordSchema, compensation_guidance, load_compensation
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

COMPENSATION = load_compensation()


@pytest.mark.parametrize("tier,expected", [
    ("critical", "1–2 months of service or 25% of the problem transaction"),
    ("high", "15–20% of the problem transaction"),
    ("standard", "10% of the problem transaction"),
])
def test_guidance_by_tier(tier, expected):
    text = compensation_guidance(tier, compensation=COMPENSATION)
    assert expected in text and "Record the type and amount" in text


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="value tier"):
        compensation_guidance("gold", compensation=COMPENSATION)


def test_mapping_needs_every_tier_and_names_the_missing_one(tmp_path):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "compensation.json").read_text(encoding="utf-8"))
    del raw["tiers"]["high"]
    raw["tiers"]["standard"] = ""
    (tmp_path / "compensation.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_compensation(tmp_path)
    assert error.value.messages == {"tiers": {"high": ["Missing data for required field."],
                                              "standard": ["Length must be between 1 and 500."]}}


SCHEMA = CompensationRecordSchema()


@pytest.mark.parametrize("payload,expected", [
    ({"type": "discount", "amount": "25.50", "currency": "EUR"},
     {"type": "discount", "amount": Decimal("25.50"), "currency": "EUR", "note": None}),
    ({"type": "free_months", "amount": 240, "currency": "usd", "note": "2 months of Pro plan"},
     {"type": "free_months", "amount": Decimal("240"), "currency": "USD",
      "note": "2 months of Pro plan"}),
    ({"type": "refund", "amount": "12.345", "currency": "KWD", "note": None},
     {"type": "refund", "amount": Decimal("12.345"), "currency": "KWD", "note": None}),
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
])
def test_invalid_records_name_the_field(payload, field):
    with pytest.raises(ValidationError) as error:
        SCHEMA.load(payload)
    assert list(error.value.messages) == [field]


def test_note_of_500_characters_is_fine():
    assert len(SCHEMA.load({"type": "gift", "amount": "30", "currency": "EUR",
                            "note": "x" * 500})["note"]) == 500
