"""Issue 14, finding 8: every malformed signature or timestamp header is a 4xx, never a 500.

The review found a ``webhook-timestamp`` of 1 followed by 400 zeros (``OverflowError``) and an
``X-HubSpot-Request-Timestamp`` of ``²³`` (``isdigit()`` true, ``int()`` fails); both are
refused as unreadable timestamps. (The CR/LF ``next`` of the login is in test_login_redirect.)
"""
import pytest

from tests.signing import answer_payload

TIMESTAMPS = ["1" + "0" * 400, "9" * 5000, "1e400", "inf", "nan", "-1", "²³", "¹", "½", "0x10", "1_000", " ",
              "\u0661\u0667\u0660\u0660", "9999999999999999999999"]
ISO_TIMES = ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-13-40T99:99:99Z", "²³"]


@pytest.mark.parametrize("stamp", TIMESTAMPS)
def test_standard_webhooks_timestamp(client, stamp):
    response = client.post("/webhooks/surveys/generic", json=answer_payload(),
                           headers={"webhook-id": "m1", "webhook-timestamp": stamp, "webhook-signature": "v1,abc"})
    assert response.status_code == 401, response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/webhooks/hubspot", "/hubspot/card"])
@pytest.mark.parametrize("stamp", TIMESTAMPS)
def test_hubspot_request_timestamp(client, path, stamp):
    headers = {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": stamp}
    response = client.open(path, method="POST" if path.startswith("/webhooks") else "GET", json=[], headers=headers)
    assert response.status_code == 401, response.get_data(as_text=True)


@pytest.mark.parametrize("stamp", ISO_TIMES + TIMESTAMPS)
def test_zendesk_signature_timestamp(client, stamp):
    headers = {"X-Zendesk-Webhook-Signature": "abc", "X-Zendesk-Webhook-Signature-Timestamp": stamp}
    assert client.post("/webhooks/zendesk", json={}, headers=headers).status_code == 401


@pytest.mark.parametrize("value", ["Bearer \u00ff\u00fe", "Bearer " + "x" * 10_000, "Bearer", "\x7f", "Basic Og=="])
def test_malformed_authorization_is_401(client, value):
    assert client.get("/api/jobs", headers={"Authorization": value}).status_code == 401
