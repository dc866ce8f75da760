"""The cause of a case: suggested at intake from the comment (with its words), shown by the admin
API, confirmed or changed from the admin API, the sidebar or the ticket's drop-down (a Zendesk
tags_changed event); Zendesk and HubSpot follow each change, and only a change."""
import re

import pytest

from connector.ports.keys import ticket_external_id
from connector.providers.zendesk.ticket import build_ticket, private_note
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.snapshots import case_snapshot
from tests.conftest import drain
from tests.signing import answer_payload, post_answer, post_zendesk_event, zendesk_event
from tests.ui_support import AUD, ZafKeys, open_case

INVOICE = "Ma FACTURE est fausse, et le prélèvement a été fait deux fois."


@pytest.fixture
def app(frozen_runtime):
    from connector.web.app import create_app
    return create_app(frozen_runtime.config, runtime=frozen_runtime)


def _case(client, admin_headers, case_id):
    return client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()


def _open(client, comment=INVOICE, response_id="srv-cause-1", email="marie@example.com"):
    answer = post_answer(client, answer_payload(response_id=response_id, comment=comment, customer={"email": email}))
    assert answer.status_code == 202
    return answer.get_json()["case_id"]


def test_the_suggestion_and_its_words_are_on_the_case(client, admin_headers):
    case_id = _open(client)
    assert _case(client, admin_headers, case_id)["cause"] == {
        "key": "billing", "suggested": "billing", "words": ["FACTURE", "prélèvement"],
        "confirmed": None, "confirmed_at": None, "source": None}
    quiet = _open(client, comment="Bof.", response_id="srv-cause-2", email="paul@example.com")
    assert _case(client, admin_headers, quiet)["cause"]["key"] is None


def test_the_ticket_and_the_contact_carry_the_suggested_cause(client, frozen_runtime, fake_zendesk, fake_hubspot):
    case_id = _open(client)
    drain(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:
        snapshot = case_snapshot(session, session.get(Case, case_id), protocol=frozen_runtime.policies.protocol,
                                 hubspot_priority="HIGH", ticket_url=None)
    ticket = build_ticket(snapshot, fake_zendesk.mapping)
    assert "cause_billing" in ticket["tags"]
    assert 'Cause: billing (suggested from "FACTURE", "prélèvement"' in private_note(snapshot)
    assert fake_hubspot.contacts["marie@example.com"]["recovery_cause"] == "billing"


def test_the_admin_api_changes_the_cause_and_both_vendors_follow(client, admin_headers, frozen_runtime,
                                                                  fake_zendesk, fake_hubspot):
    case_id = _open(client)
    drain(frozen_runtime)
    fake_zendesk.updates.clear()
    changed = client.post(f"/api/cases/{case_id}/cause", json={"cause": "pricing"}, headers=admin_headers)
    assert changed.status_code == 200
    cause = changed.get_json()["cause"]
    assert (cause["key"], cause["suggested"], cause["confirmed"], cause["source"]) == (
        "pricing", "billing", "pricing", "admin")
    drain(frozen_runtime)
    ticket_id = _case(client, admin_headers, case_id)["zendesk_ticket_id"]
    assert fake_zendesk.updates == [(ticket_id, {"cause": "pricing"})]
    assert fake_hubspot.contacts["marie@example.com"]["recovery_cause"] == "pricing"
    # Confirming the cause in force changes nothing anywhere: no job, no call.
    again = client.post(f"/api/cases/{case_id}/cause", json={"cause": "pricing"}, headers=admin_headers)
    assert again.status_code == 200
    drain(frozen_runtime)
    assert fake_zendesk.updates == [(ticket_id, {"cause": "pricing"})]


@pytest.mark.parametrize("body, field", [
    ({}, "cause"), ({"cause": "weather"}, "cause"), ({"cause": 3}, "cause"), ({"cause": "x" * 5000}, "cause"),
    ({"cause": "billing", "extra": 1}, "extra"), ([], "cause"),
])
def test_a_bad_cause_is_refused_naming_the_field(client, admin_headers, body, field):
    case_id = _open(client)
    refused = client.post(f"/api/cases/{case_id}/cause", json=body, headers=admin_headers)
    assert refused.status_code == 422 and field in refused.get_json()["fields"]
    assert _case(client, admin_headers, case_id)["cause"]["confirmed"] is None


def test_unknown_case_and_missing_token(client, admin_headers):
    assert client.post("/api/cases/999/cause", json={"cause": "billing"}, headers=admin_headers).status_code == 404
    assert client.post("/api/cases/1/cause", json={"cause": "billing"}).status_code == 401


def test_picking_another_option_in_zendesk_updates_the_case_and_hubspot_only(client, admin_headers, frozen_runtime,
                                                                            fake_zendesk, fake_hubspot):
    case_id = _open(client)
    drain(frozen_runtime)
    fake_zendesk.updates.clear()
    event = zendesk_event("tags_changed", 1, ticket_external_id(case_id), tags_added=["cause_delivery"])
    answered = post_zendesk_event(client, event)
    assert answered.status_code == 200 and "cause: delivery" in answered.get_json()["detail"]
    cause = _case(client, admin_headers, case_id)["cause"]
    assert (cause["key"], cause["source"]) == ("delivery", "zendesk")
    drain(frozen_runtime)
    assert fake_zendesk.updates == []  # Zendesk already shows it: nothing sent back
    assert fake_hubspot.contacts["marie@example.com"]["recovery_cause"] == "delivery"
    # The event Zendesk sends for the connector's own change, or an unknown cause tag: no change.
    for tags in (["cause_delivery"], ["cause_weather"], ["cause_"]):
        again = post_zendesk_event(client, zendesk_event("tags_changed", 1, ticket_external_id(case_id),
                                                         tags_added=tags))
        assert "cause:" not in again.get_json()["detail"]
    assert _case(client, admin_headers, case_id)["cause"]["key"] == "delivery"


@pytest.fixture
def sidebar(frozen_runtime, tmp_path):
    from connector.web.app import create_app

    keys = ZafKeys(tmp_path)
    frozen_runtime.config.update(ZENDESK_APP_PUBLIC_KEY=keys.public_pem, ZENDESK_APP_AUD=AUD)
    return create_app(frozen_runtime.config, runtime=frozen_runtime).test_client(), keys


def _fragment(ui, keys, ticket_id=9001) -> str:
    page = ui.post("/zendesk/sidebar", data={"token": keys.token()})
    session = re.search(r'name="recovery-session" content="([^"]+)"', page.text).group(1)
    return ui.get(f"/zendesk/sidebar/case?ticket_id={ticket_id}", headers={"X-Recovery-Session": session}).text


def test_the_sidebar_shows_the_suggestion_with_its_words_and_confirms_or_changes_it(sidebar, frozen_runtime,
                                                                                   admin_headers):
    ui, keys = sidebar
    case_id = open_case(frozen_runtime, ui)  # the default comment names no cause
    with transaction(frozen_runtime.sessions) as session:
        case = session.get(Case, case_id)
        case.cause_suggested, case.cause_words = "billing", ["facture", "<b>x</b>"]
    page = _fragment(ui, keys)
    assert "Suggested: <strong>billing</strong>" in page
    assert '<q class="cause-word">facture</q>' in page and "&lt;b&gt;x&lt;/b&gt;" in page
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="cause-form"')[1].split("</form>")[0])
    assert offered == list(frozen_runtime.policies.causes.keys)
    assert '<option value="billing" selected>' in page
    token = re.search(r'data-case-token="([^"]+)"', page).group(1)
    url = f"/zendesk/sidebar/cases/{case_id}/cause"
    assert ui.post(url, json={"cause": "support"}).status_code == 401
    assert ui.post(f"/zendesk/sidebar/cases/{case_id + 1}/cause", json={"cause": "support"},
                   headers={"X-Recovery-Case": token}).status_code == 401
    assert ui.post(url, json={"cause": "nope"}, headers={"X-Recovery-Case": token}).status_code == 422
    ok = ui.post(url, json={"cause": "support"}, headers={"X-Recovery-Case": token})
    assert ok.status_code == 200 and ok.get_json() == {"case_id": case_id, "cause": "support", "changed": True}
    page = _fragment(ui, keys)
    assert "Confirmed: <strong>support</strong>" in page and '<option value="support" selected>' in page
    cause = ui.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()["cause"]
    assert (cause["key"], cause["source"]) == ("support", "sidebar")
