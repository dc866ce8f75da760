"""The answer schema's validators, combined once per field (inbound/schemas.py): the same checks,
the same messages, every failing validator of a field named, as marshmallow's own per-value
combination gives them."""
import pytest
from marshmallow import ValidationError

from connector.inbound.schemas import SurveyAnswerSchema, validate_answer
from tests.signing import answer_payload


def _errors(payload) -> dict:
    with pytest.raises(ValidationError) as caught:
        validate_answer(payload)
    return caught.value.messages


def test_a_field_failing_two_validators_names_both_in_their_order():
    email = "n" * 330  # not an address, and past 320 characters
    assert _errors(answer_payload(customer={"email": email})) == {
        "customer": {"email": ["Not a valid email address.", "Longer than maximum length 320."]}}


@pytest.mark.parametrize("change,fields", [
    ({"response_id": ""}, {"response_id": ["Length must be between 1 and 200."]}),
    ({"submitted_at": "2150-01-01T00:00:00+00:00"}, {"submitted_at": ["must be between 2000 and 2100"]}),
    ({"survey": {"type": "nps", "kind": "k" * 51}}, {"survey": {"kind": ["Longer than maximum length 50."]}}),
    ({"customer": {"email": "marie@example.com", "lifetime_value": -1}},
     {"customer": {"lifetime_value": ["Must be greater than or equal to 0."]}}),
])
def test_each_validator_still_runs_with_its_message(change, fields):
    assert _errors(answer_payload(**change)) == fields


def test_fields_without_validators_load_as_before():
    loaded = validate_answer(answer_payload(customer={"email": "marie@example.com", "vip": True, "name": "A\nB"}))
    assert loaded["customer"]["vip"] is True and loaded["customer"]["name"] == "A B"
    assert loaded["context"] == {"zendesk_ticket_id": 1234, "agent_email": "junior@example.com"}
    assert validate_answer({k: v for k, v in answer_payload().items() if k != "context"})["context"] == {}


def test_a_schema_built_again_validates_alike():
    payload = answer_payload(score=11, customer={"email": "not-an-email"})
    with pytest.raises(ValidationError) as caught:
        SurveyAnswerSchema().load(payload)
    assert caught.value.messages == _errors(payload)


@pytest.mark.parametrize("name,company,expected", [
    ("Marie\r\nDubois", "ACME\u2028Corp", ("Marie Dubois", "ACME Corp")),  # no forged line in a note or alert
    ("  ", "", (None, None)),
    (None, None, (None, None)),
])
def test_names_are_kept_on_one_line_or_dropped_when_blank(name, company, expected):
    customer = validate_answer(answer_payload(customer={"email": "marie@example.com", "name": name,
                                                        "company": company}))["customer"]
    assert (customer["name"], customer["company"]) == expected


def test_a_name_too_long_is_refused_before_it_is_put_on_one_line():
    assert _errors(answer_payload(customer={"email": "marie@example.com", "name": "n\n" * 150})) == {
        "customer": {"name": ["Longer than maximum length 200."]}}
