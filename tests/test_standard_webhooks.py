"""Standard Webhooks verification: one test per rejection reason."""
import pytest

from connector.inbound.standard_webhooks import SignatureError, decode_secret, sign, verify
from tests.signing import OTHER_SECRET, SECRET, signed_headers

BODY = b'{"response_id": "r1"}'
NOW = 1_800_000_000


def headers(**overrides):
    base = signed_headers(BODY, timestamp=NOW)
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def check(h, body=BODY, secrets=(SECRET,), now=NOW):
    verify(secrets, h, body, tolerance=300, now=lambda: now)


def test_reference_library_signature_is_accepted():
    check(headers())


def test_our_signer_matches_the_reference_library():
    ours = sign(decode_secret(SECRET), "msg_1", NOW, BODY)
    assert ours == headers()["webhook-signature"]


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_named(missing):
    with pytest.raises(SignatureError, match=f"missing {missing}"):
        check(headers(**{missing: None}))


def test_timestamp_not_a_number():
    with pytest.raises(SignatureError, match="not Unix seconds"):
        check(headers(**{"webhook-timestamp": "2026-11-20T16:37:00Z"}))


def test_expired_timestamp():
    with pytest.raises(SignatureError, match="too old"):
        check(headers(), now=NOW + 301)


def test_future_timestamp():
    with pytest.raises(SignatureError, match="in the future"):
        check(headers(), now=NOW - 301)


def test_edge_of_tolerance_is_accepted():
    check(headers(), now=NOW + 300)
    check(headers(), now=NOW - 300)


def test_tampered_body():
    with pytest.raises(SignatureError, match="no signature matches"):
        check(headers(), body=BODY + b" ")


def test_signature_of_another_message_id():
    with pytest.raises(SignatureError, match="no signature matches"):
        check(headers(**{"webhook-id": "msg_2"}))


def test_wrong_scheme_only():
    value = headers()["webhook-signature"].replace("v1,", "v1a,")
    with pytest.raises(SignatureError, match="no v1 signature"):
        check(headers(**{"webhook-signature": value}))


def test_malformed_signature_header():
    with pytest.raises(SignatureError, match="no v1 signature"):
        check(headers(**{"webhook-signature": "garbage"}))


def test_several_signatures_one_valid():
    valid = headers()["webhook-signature"]
    check(headers(**{"webhook-signature": f"v1,AAAA v1a,zzz {valid}"}))


def test_rotated_secret_new_sender_old_and_new_configured():
    h = signed_headers(BODY, secret=OTHER_SECRET, timestamp=NOW)
    check(h, secrets=(SECRET, OTHER_SECRET))
    with pytest.raises(SignatureError):
        check(h, secrets=(SECRET,))


def test_secret_without_prefix_and_bad_secret():
    raw = SECRET.removeprefix("whsec_")
    check(headers(), secrets=(raw,))
    with pytest.raises(ValueError):
        decode_secret("whsec_not base64!")


@pytest.mark.parametrize("stamp", ["9" * 400, "9" * 5000])
def test_timestamp_too_long_for_a_clock_is_not_unix_seconds(stamp):
    with pytest.raises(SignatureError, match="not Unix seconds"):
        verify((SECRET,), headers(**{"webhook-timestamp": stamp}), BODY, tolerance=300, now=lambda: float(NOW))
