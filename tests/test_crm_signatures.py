"""Zendesk and HubSpot v3 webhook signatures: one test per rejection reason."""
import pytest

from connector.inbound.crm_signatures import (
    hubspot_uri,
    sign_hubspot_v3,
    sign_zendesk,
    verify_hubspot_v3,
    verify_zendesk,
)
from connector.inbound.standard_webhooks import SignatureError

BODY = b'{"type":"zen:event-type:ticket.tags_changed"}'
STAMP, NOW = "2026-11-22T15:00:00Z", 1795359600.0
URI = "https://connector.example.com/webhooks/hubspot?portal=1"


def zendesk_headers(secret="zd-secret", stamp=STAMP, body=BODY):
    return {"X-Zendesk-Webhook-Signature": sign_zendesk(secret, stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp}


def test_zendesk_valid_and_rotated():
    verify_zendesk(["zd-secret"], zendesk_headers(), BODY, now=lambda: NOW)
    verify_zendesk(["new-secret", "zd-secret"], zendesk_headers(), BODY, now=lambda: NOW)


def test_zendesk_matches_the_documented_formula():
    import base64
    import hashlib
    import hmac
    expected = base64.b64encode(hmac.new(b"zd-secret", STAMP.encode() + BODY, hashlib.sha256).digest()).decode()
    assert zendesk_headers()["X-Zendesk-Webhook-Signature"] == expected


@pytest.mark.parametrize("headers,body,now,message", [
    ({"X-Zendesk-Webhook-Signature-Timestamp": STAMP}, BODY, NOW, "missing X-Zendesk-Webhook-Signature header"),
    ({"X-Zendesk-Webhook-Signature": "x"}, BODY, NOW, "missing X-Zendesk-Webhook-Signature-Timestamp"),
    (zendesk_headers(stamp="yesterday"), BODY, NOW, "not an ISO 8601 time"),
    (zendesk_headers(stamp="2026-11-22T15:00:00"), BODY, NOW, "not an ISO 8601 time"),
    (zendesk_headers(), BODY, NOW + 301, "too old"),
    (zendesk_headers(), BODY, NOW - 301, "in the future"),
    (zendesk_headers(), BODY + b" ", NOW, "no signature matches"),
    (zendesk_headers(secret="other"), BODY, NOW, "no signature matches"),
])
def test_zendesk_rejections(headers, body, now, message):
    with pytest.raises(SignatureError, match=message):
        verify_zendesk(["zd-secret"], headers, body, now=lambda: now)


def hubspot_headers(secret="hs-secret", uri=URI, body=b"[]", stamp=str(int(NOW * 1000)), method="POST"):
    return {"X-HubSpot-Signature-v3": sign_hubspot_v3(secret, method, uri, body, stamp),
            "X-HubSpot-Request-Timestamp": stamp}


def test_hubspot_valid_and_rotated():
    verify_hubspot_v3(["hs-secret"], "POST", URI, hubspot_headers(), b"[]", now=lambda: NOW)
    verify_hubspot_v3(["x", "hs-secret"], "POST", URI, hubspot_headers(), b"[]", now=lambda: NOW)


def test_hubspot_uri_decoding_follows_the_docs():
    assert hubspot_uri("https://a.com/p?x=%3A%2F%40%21%24%27%28%29%2A%2C%3B%3F%20") == "https://a.com/p?x=:/@!$'()*,;?%20"
    signed = hubspot_headers(uri="https://a.com/p?e=a:b")
    verify_hubspot_v3(["hs-secret"], "POST", "https://a.com/p?e=a%3Ab", signed, b"[]", now=lambda: NOW)


@pytest.mark.parametrize("headers,uri,method,now,message", [
    ({"X-HubSpot-Request-Timestamp": "1"}, URI, "POST", NOW, "missing X-HubSpot-Signature-v3"),
    ({"X-HubSpot-Signature-v3": "x"}, URI, "POST", NOW, "missing X-HubSpot-Request-Timestamp"),
    (hubspot_headers(stamp="2026-11-22"), URI, "POST", NOW, "not Unix milliseconds"),
    (hubspot_headers(), URI, "POST", NOW + 301, "too old"),
    (hubspot_headers(), URI, "POST", NOW - 301, "in the future"),
    (hubspot_headers(), URI + "&x=1", "POST", NOW, "no signature matches"),
    (hubspot_headers(), URI, "PUT", NOW, "no signature matches"),
    (hubspot_headers(secret="other"), URI, "POST", NOW, "no signature matches"),
])
def test_hubspot_rejections(headers, uri, method, now, message):
    with pytest.raises(SignatureError, match=message):
        verify_hubspot_v3(["hs-secret"], method, uri, headers, b"[]", now=lambda: now)


@pytest.mark.parametrize("stamp", ["²", "9" * 400, "9" * 5000])
def test_hubspot_timestamp_no_clock_can_read_is_not_unix_milliseconds(stamp):
    with pytest.raises(SignatureError, match="not Unix milliseconds"):
        verify_hubspot_v3(["hs-secret"], "POST", URI, hubspot_headers(stamp=stamp), b"[]", now=lambda: NOW)
