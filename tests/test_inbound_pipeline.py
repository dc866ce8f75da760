"""The inbound checklist without Flask: one stop per reason, in order, and every source fits it."""
import inspect

import pytest
from marshmallow import ValidationError

from connector.inbound.crm_events import HUBSPOT_EVENTS, ZENDESK_EVENTS
from connector.inbound.pipeline import (
    Acknowledged,
    Deferred,
    Ignored,
    InboundSource,
    KeyedSecrets,
    Received,
    Rejection,
    RequestFacts,
    UpstreamError,
    receive,
)
from connector.inbound.sources import registry
from connector.inbound.timestamped_hmac import SignatureError

CONFIG = {"STUB_SECRET": "old new"}


class Stub(KeyedSecrets):
    name, invalid_message, secret_keys = "stub", "some fields are invalid", ("STUB_SECRET",)

    def __init__(self, raises=None):
        self.raises = raises

    def is_unsigned_ping(self, raw_body):
        return raw_body == b"ping"

    def verify(self, config, facts, now):
        if facts.headers.get("signature") not in self.secrets(config):
            raise SignatureError("no signature matches")

    def delivery_id(self, headers, payload):
        return payload.get("id") if isinstance(payload, dict) else headers.get("delivery")

    def validate(self, payload, config, mapping, facts):
        if self.raises:
            raise self.raises
        if "score" not in payload:
            raise ValidationError({"score": ["Missing data for required field."]})
        return {"score": payload["score"], "mapping": mapping}


def facts(body=b'{"id": "d2", "score": 3}', signature="new", mimetype="application/json"):
    return RequestFacts("POST", "https://c.example/w", {"signature": signature, "delivery": "d1"}, body, mimetype)


def run(source=None, config=CONFIG, **kwargs):
    return receive(source or Stub(), facts(**kwargs), config=config, now=lambda: 0.0, mapping="the mapping")


@pytest.mark.parametrize("kwargs,expected", [
    ({"config": {}}, Rejection(401, "invalid_signature", "RECOVERY_STUB_SECRET is not configured", delivery_id="d1")),
    ({"signature": "x", "mimetype": "text/plain", "body": b"{"},
     Rejection(401, "invalid_signature", "no signature matches", delivery_id="d1")),
    ({"mimetype": "text/plain", "body": b"{"},
     Rejection(415, "unsupported_media_type", "send Content-Type: application/json", delivery_id="d1")),
    ({"body": b"{"}, Rejection(400, "invalid_json", "body is not JSON: Expecting property name enclosed in double "
                                                    "quotes", delivery_id="d1")),
    ({"body": b'{"id": "d2"}'}, Rejection(422, "validation_failed", "some fields are invalid",
                                          {"fields": {"score": ["Missing data for required field."]}}, "d2")),
    ({"mimetype": "application/vnd.api+json"}, Received({"id": "d2", "score": 3},
                                                        {"score": 3, "mapping": "the mapping"}, "d2")),
])
def test_the_first_failing_step_decides(kwargs, expected):
    assert run(**kwargs) == expected


def test_an_unsigned_ping_is_acknowledged_before_any_check():
    assert run(config={}, body=b"ping", signature=None) == Acknowledged("connection test", "d1", authenticated=False)


def test_a_source_may_acknowledge_or_defer_a_valid_delivery():
    assert run(Stub(Ignored("event type x"))) == Acknowledged("event type x", "d2")
    assert run(Stub(UpstreamError("API answered 503"))) == Deferred("API answered 503", "d2")


@pytest.mark.parametrize("source", [*registry.SOURCES.values(), ZENDESK_EVENTS, HUBSPOT_EVENTS],
                         ids=lambda source: f"{type(source).__name__}")
def test_every_source_implements_the_protocol(source):
    for name, member in vars(InboundSource).items():
        if callable(member) and not name.startswith("_"):
            expected = list(inspect.signature(member).parameters)[1:]  # without self
            assert list(inspect.signature(getattr(source, name)).parameters) == expected, name
    for name in InboundSource.__annotations__:
        assert isinstance(getattr(source, name), str) and getattr(source, name), name
