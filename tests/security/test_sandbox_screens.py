"""The sandbox's shortcut to the screens (``/sandbox/…``) opens nothing outside sandbox mode.

In sandbox mode one token, signed with the screens' key, lets a newcomer see a case's Zendesk
sidebar and HubSpot card without Zendesk's RSA-signed JWT. A deployment must refuse it whatever
token is offered, a correctly signed one included, and production's sidebar keeps refusing it too.
"""
import pytest

from connector.web.ui.sandbox_screens import screen_urls, screens_token
from tests.ui_support import open_case

ROUTES = ["/sandbox/screens", "/sandbox/zendesk-sidebar?ticket_id=9001", "/sandbox/hubspot-card?email=marie@example.com"]


def _token(app) -> str:
    with app.app_context():
        return screens_token()


@pytest.fixture
def sandbox_app(runtime, app):
    runtime.config["SANDBOX"] = app.config["SANDBOX"] = True
    return app


@pytest.mark.parametrize("route", ROUTES)
def test_outside_sandbox_mode_a_well_signed_token_opens_nothing(app, client, runtime, route):
    open_case(runtime, client)
    assert runtime.config["SANDBOX"] is False
    response = client.get(f"{route}&token={_token(app)}" if "?" in route else f"{route}?token={_token(app)}")
    assert response.status_code == 404
    assert b"marie" not in response.data and b"recovery-session" not in response.data


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("token", ["", "bad", "eyJ0ZW5hbnQiOiJkZWZhdWx0In0.AAAAAA.forged", None])
def test_in_sandbox_mode_a_missing_or_forged_token_is_refused(sandbox_app, route, token):
    query = "" if token is None else f"token={token}"
    url = f"{route}&{query}" if "?" in route else f"{route}?{query}"
    response = sandbox_app.test_client().get(url)
    assert response.status_code == 401 and b"recovery-session" not in response.data


def test_a_token_signed_for_another_purpose_is_refused(sandbox_app, client):
    from connector.web.ui.common import issue

    with sandbox_app.app_context():
        sidebar_session = issue("sidebar", {"tenant": "default", "aud": None})
    assert sandbox_app.test_client().get(f"/sandbox/screens?token={sidebar_session}").status_code == 401


def test_the_sandbox_token_does_not_open_the_production_sidebar(sandbox_app, runtime, client):
    open_case(runtime, client)
    token = _token(sandbox_app)
    response = client.post("/zendesk/sidebar", data={"token": token})
    assert response.status_code in (401, 503) and b"recovery-session" not in response.data
    case_page = client.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": token})
    assert case_page.status_code == 401


def test_in_sandbox_mode_the_urls_show_the_case(sandbox_app, runtime, client):
    case_id = open_case(runtime, client)
    token = _token(sandbox_app)
    urls = screen_urls("", token, {"zendesk_ticket_id": 9001, "customer_email": "marie@example.com"})
    index = client.get(f"/sandbox/screens?token={token}")
    assert index.status_code == 200 and f"#{case_id}".encode() in index.data
    sidebar = client.get(urls["sidebar"])
    assert sidebar.status_code == 200 and sidebar.headers["Referrer-Policy"] == "no-referrer"
    session = sidebar.data.decode().split('name="recovery-session" content="')[1].split('"')[0]
    page = client.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": session})
    assert page.status_code == 200 and f'data-case-id="{case_id}"'.encode() in page.data
    card = client.get(urls["card"])
    assert card.status_code == 200 and f"case #{case_id}".encode() in card.data


@pytest.mark.parametrize("ticket", ["", "abc", "1 OR 1=1", "<script>alert(1)</script>", "１２３", "9" * 40, "-1"])
def test_a_hostile_ticket_id_is_refused_without_echo(sandbox_app, ticket):
    from urllib.parse import quote

    response = sandbox_app.test_client().get(f"/sandbox/zendesk-sidebar?ticket_id={quote(ticket)}"
                                              f"&token={_token(sandbox_app)}")
    assert response.status_code == 422 and b"<script>alert" not in response.data
    assert b"recovery-session" not in response.data


def test_a_hostile_email_on_the_card_is_escaped(sandbox_app):
    hostile = '"><script>alert(1)</script>'
    response = sandbox_app.test_client().get("/sandbox/hubspot-card", query_string={
        "email": hostile, "token": _token(sandbox_app)})
    assert response.status_code == 200 and b"<script>alert(1)" not in response.data
    assert b"No recovery case for this contact." in response.data
