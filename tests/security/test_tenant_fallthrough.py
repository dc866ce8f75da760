"""Issue 14, finding 2: signed HubSpot traffic from a portal nobody installed fell through to
tenant ``default`` (with ``RECOVERY_HUBSPOT_PORTAL_ID`` unset, and for a missing ``portalId``
even when it was set), and a Zendesk sidebar token naming no account opened ``default``.

With OAuth configured (many tenants), such traffic is no one's: ignored, logged and counted;
``default`` receives HubSpot traffic only from the portal it is pinned to."""
import json
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.inbound.crm_signatures import sign_hubspot_v3
from connector.infra import counters
from connector.store.db import transaction
from connector.store.models import Answer, Case
from tests.conftest import make_runtime
from tests.fakes import FakeHubSpot, FakeZendesk
from tests.installs.support import oauth_config
from tests.signing import post_hubspot_events
from tests.surveys.vendors import sign_hubspot
from tests.ui_support import ZafKeys, open_case

FIXTURE = Path(__file__).parent.parent / "surveys" / "fixtures" / "hubspot_feedback_submission.json"
APP_SECRET = "hs-client-secret"  # the OAuth app's secret signs every portal's requests


def _runtime(db_url, **overrides):
    # The environment's own accounts are connected (tenant default) and OAuth installs are on.
    return make_runtime(oauth_config(db_url, **overrides), zendesk=FakeZendesk(), hubspot=FakeHubSpot())


@pytest.fixture(params=["unpinned", "pinned"])
def setup(request, db_url, tmp_path):
    from connector.web.app import create_app

    pinned = {"HUBSPOT_PORTAL_ID": "42"} if request.param == "pinned" else {}
    rt = _runtime(db_url, **pinned)
    zaf = ZafKeys(tmp_path)
    rt.config.update(ZENDESK_APP_PUBLIC_KEY=zaf.public_pem)
    client = create_app(rt.config, runtime=rt).test_client()
    counters.reset()
    yield rt, client, zaf
    rt.engine.dispose()


def _card(client, query: str):
    stamp = str(int(time.time() * 1000))
    url = f"http://localhost/hubspot/card?{query}"
    return client.get(url, headers={"X-HubSpot-Request-Timestamp": stamp,
                                    "X-HubSpot-Signature-v3": sign_hubspot_v3(APP_SECRET, "GET", url,
                                                                              b"", stamp)})


def test_a_card_request_from_an_unknown_or_missing_portal_shows_no_case_of_default(setup):
    rt, client, _ = setup
    open_case(rt, client, contact_id="501")  # default's customer; contact ids repeat across portals
    for query in ("associatedObjectId=501&portalId=999", "associatedObjectId=501"):
        card = _card(client, query)
        assert card.status_code == 200 and card.get_json()["incident"] is False, query
        assert card.get_json()["case_id"] is None
    assert counters.snapshot()["ignored"].get("hubspot card: portal not installed", 0) == 2


def test_a_privacy_deletion_from_an_unknown_or_missing_portal_erases_nothing(setup):
    rt, client, _ = setup
    case_id = open_case(rt, client, contact_id="501")
    for event_id, portal in ((1, 999), (2, None)):
        event = {"eventId": event_id, "subscriptionType": "contact.privacyDeletion", "objectId": 501,
                 "occurredAt": 1795359600000, **({"portalId": portal} if portal else {})}
        answered = post_hubspot_events(client, [event], secret=APP_SECRET)
        assert answered.status_code == 200 and answered.get_json()["status"] == "ignored"
    with transaction(rt.sessions) as session:
        assert session.get(Case, case_id).customer_email == "marie@example.com"  # not erased
        assert session.get(Case, case_id).status == "open"


def test_a_hubspot_survey_with_an_unknown_or_missing_portal_is_stored_nowhere(setup):
    rt, client, _ = setup
    for response_id, portal in (("fb-unknown", 999), ("fb-missing", None)):
        payload = {**json.loads(FIXTURE.read_text()), "objectId": response_id, "id": response_id}
        payload.pop("portalId", None)
        if portal is not None:
            payload["portalId"] = portal
        body = json.dumps(payload).encode()
        answered = client.post("/webhooks/surveys/hubspot", data=body, headers=sign_hubspot(body, secret=APP_SECRET))
        assert answered.status_code == 200 and answered.get_json()["status"] == "ignored", answered.get_json()
    with transaction(rt.sessions) as session:
        assert session.scalars(select(Answer)).all() == []


def test_the_pinned_portal_still_reaches_default(db_url):
    from connector.web.app import create_app

    rt = _runtime(db_url, HUBSPOT_PORTAL_ID="42")
    client = create_app(rt.config, runtime=rt).test_client()
    case_id = open_case(rt, client, contact_id="501")
    assert _card(client, "associatedObjectId=501&portalId=42").get_json()["case_id"] == case_id
    rt.engine.dispose()


def test_a_sidebar_token_naming_no_zendesk_account_is_refused(setup):
    _, client, zaf = setup
    token = zaf.token({"iss": "not-a-zendesk-host.example", "aud": "https://elsewhere.example/app"})
    page = client.post("/zendesk/sidebar", data={"token": token})
    assert page.status_code == 403  # authentic, but it names no account: fail closed, never default
    assert not re.search(r'name="recovery-session"', page.text)
