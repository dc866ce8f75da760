"""One test per rejection reason per vendor; each checks that nothing was stored."""
import copy
import json
import time

import pytest

from tests.fuzz.harness import counts
from tests.surveys.vendors import OTHER_SECRETS, SECRETS, VENDORS

EMPTY = {"answers": 0, "cases": 0, "stages": 0, "jobs": 0}
ALL = sorted(VENDORS)
TIMESTAMPED = [name for name in ALL if VENDORS[name].timestamped]


def without_email(name, payload):
    p = copy.deepcopy(payload)
    if name == "generic":
        del p["customer"]["email"]
    elif name == "typeform":
        del p["form_response"]["hidden"]["email"]
        p["form_response"]["answers"] = [a for a in p["form_response"]["answers"] if a["type"] != "email"]
    elif name == "surveymonkey":
        del p["response"]["custom_variables"]["email"]
    elif name == "delighted":
        del p["event_data"]["person"]["email"]
    elif name == "formbricks":
        del p["data"]["contactAttributes"]["email"]
        del p["data"]["data"]["email"]
    elif name == "zendesk":
        p["ticket"]["requester"]["email"] = ""  # an empty placeholder
    elif name == "hubspot":
        del p["properties"]["hs_contact_email_rollup"]
    return p


def with_bad_score(name, payload):
    p = copy.deepcopy(payload)
    if name == "generic":
        p["score"] = 11
    elif name == "typeform":
        p["form_response"]["answers"][0]["number"] = 11
    elif name == "surveymonkey":
        p["response"]["pages"][0]["questions"][0]["answers"][0]["simple_text"] = "eleven"
    elif name == "delighted":
        p["event_data"]["score"] = 11
    elif name == "formbricks":
        p["data"]["data"]["nps"] = 11
    elif name == "zendesk":
        p["satisfaction"]["rating"] = "7"
    elif name == "hubspot":
        p["properties"]["hs_value"] = "11"
    return p


def _body(name) -> bytes:
    return json.dumps(VENDORS[name].payload()).encode()


def _rejected(response, status, runtime, error=None):
    assert response.status_code == status, response.get_data()
    assert response.is_json
    if error:
        assert response.get_json()["error"] == error
    assert counts(runtime) == EMPTY
    return response.get_json()


@pytest.mark.parametrize("name", ALL)
def test_missing_signature_header_is_401(name, client, runtime):
    vendor, body = VENDORS[name], _body(name)
    headers = {k: v for k, v in vendor.sign(body).items() if k != vendor.signature_header}
    message = _rejected(client.post(vendor.path, data=body, headers=headers), 401, runtime,
                        "invalid_signature")["message"]
    assert "missing" in message and vendor.signature_header.lower() in message.lower()


@pytest.mark.parametrize("name", ALL)
def test_malformed_signature_is_401(name, client, runtime):
    vendor, body = VENDORS[name], _body(name)
    headers = {**vendor.sign(body), vendor.signature_header: "not a signature"}
    _rejected(client.post(vendor.path, data=body, headers=headers), 401, runtime, "invalid_signature")


@pytest.mark.parametrize("name", ALL)
def test_wrong_secret_is_401(name, client, runtime):
    vendor, body = VENDORS[name], _body(name)
    headers = vendor.sign(body, secret=OTHER_SECRETS[vendor.secret_key])
    assert _rejected(client.post(vendor.path, data=body, headers=headers), 401, runtime)["message"] == \
        "no signature matches"


@pytest.mark.parametrize("name", ALL)
def test_tampered_body_is_401(name, client, runtime):
    vendor, body = VENDORS[name], _body(name)
    headers = vendor.sign(body)
    tampered = body.replace(b"marie@example.com", b"mallory@example.com")
    assert tampered != body
    _rejected(client.post(vendor.path, data=tampered, headers=headers), 401, runtime, "invalid_signature")


@pytest.mark.parametrize("name", TIMESTAMPED)
@pytest.mark.parametrize("offset,words", [(-400, "too old"), (400, "in the future")])
def test_timestamp_outside_the_window_is_401(name, offset, words, client, runtime):
    vendor, body = VENDORS[name], _body(name)
    headers = vendor.sign(body, now=time.time() + offset)
    assert words in _rejected(client.post(vendor.path, data=body, headers=headers), 401, runtime)["message"]


@pytest.mark.parametrize("name", ALL)
def test_secret_not_configured_is_401_naming_the_variable(name, runtime, fake_zendesk, fake_hubspot):
    from connector.web.app import create_app

    vendor, body = VENDORS[name], _body(name)
    config = {**runtime.config, vendor.secret_key: ""}
    client = create_app(config, runtime=runtime).test_client()
    message = _rejected(client.post(vendor.path, data=body, headers=vendor.sign(body)), 401, runtime)["message"]
    assert message == f"RECOVERY_{vendor.secret_key} is not configured"


@pytest.mark.parametrize("name", ALL)
def test_rotated_secrets_are_both_accepted(name, runtime):
    from connector.web.app import create_app

    vendor = VENDORS[name]
    config = {**runtime.config, vendor.secret_key: f"{OTHER_SECRETS[vendor.secret_key]} {SECRETS[vendor.secret_key]}"}
    client = create_app(config, runtime=runtime).test_client()
    first = vendor.post(client, secret=OTHER_SECRETS[vendor.secret_key])
    again = vendor.post(client, secret=SECRETS[vendor.secret_key])
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.get_json() == first.get_json()


@pytest.mark.parametrize("name", ALL)
def test_not_json_is_415(name, client, runtime):
    vendor, body = VENDORS[name], b"score=3&email=marie%40example.com"
    headers = {**vendor.sign(body), "Content-Type": "application/x-www-form-urlencoded"}
    _rejected(client.post(vendor.path, data=body, headers=headers), 415, runtime, "unsupported_media_type")


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("body", [b'{"event_type": ', b"\xff\xfe\x00", b"[" * 100_000 + b"]" * 100_000, b"1" * 5000],
                         ids=["truncated", "not-utf", "nested-too-deep", "huge-number"])
def test_unparsable_body_is_400(name, body, client, runtime):
    vendor = VENDORS[name]
    _rejected(client.post(vendor.path, data=body, headers=vendor.sign(body)), 400, runtime, "invalid_json")


@pytest.mark.parametrize("name", ALL)
def test_too_large_is_413(name, client, runtime):
    vendor = VENDORS[name]
    body = b'{"padding": "' + b"x" * (300 * 1024) + b'"}'
    _rejected(client.post(vendor.path, data=body, headers=vendor.sign(body)), 413, runtime)


@pytest.mark.parametrize("name", ALL)
def test_missing_email_is_422_naming_customer_email(name, client, runtime):
    vendor = VENDORS[name]
    fields = _rejected(vendor.post(client, without_email(name, vendor.payload())), 422, runtime,
                       "validation_failed")["fields"]
    assert fields == {"customer": {"email": ["Missing data for required field."]}}


@pytest.mark.parametrize("name", ALL)
def test_bad_score_is_422_naming_score(name, client, runtime):
    vendor = VENDORS[name]
    fields = _rejected(vendor.post(client, with_bad_score(name, vendor.payload())), 422, runtime,
                       "validation_failed")["fields"]
    assert list(fields) == ["score"]


@pytest.mark.parametrize("name", ALL)
def test_replay_inside_the_window_is_deduplicated(name, client, runtime):
    vendor = VENDORS[name]
    body = _body(name)
    headers = vendor.sign(body)
    first = client.post(vendor.path, data=body, headers=headers)
    before = counts(runtime)
    replay = client.post(vendor.path, data=body, headers=headers)  # the very same delivery again
    assert (first.status_code, replay.status_code) == (202, 200)
    assert replay.get_json() == first.get_json()
    assert counts(runtime) == before


def test_unknown_vendor_is_404_json(client, runtime):
    response = client.post("/webhooks/surveys/qualtrics", json={"score": 3})
    body = _rejected(response, 404, runtime, "unknown_vendor")
    assert "typeform" in body["message"]


@pytest.mark.parametrize("submitted_at", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+23:59",
                                          "1999-12-31T23:59:59+00:00"])
def test_submitted_at_out_of_range_is_422_not_500(submitted_at, client, runtime):
    """Found by the fuzz tests: stage due dates overflowed ``datetime`` in intake (a 500)."""
    from tests.signing import answer_payload

    vendor = VENDORS["generic"]
    response = vendor.post(client, answer_payload(response_id="far-away", submitted_at=submitted_at))
    assert list(_rejected(response, 422, runtime)["fields"]) == ["submitted_at"]
