"""Issue 14, finding 10: hardening of the screens and the admin credentials.

Framing, a CSP, nosniff and HSTS on every answer (the Zendesk sidebar framed by Zendesk's
domains only); wrong admin tokens throttled per address; a server that refuses a short admin
token or OAuth without a public address; logging out ending the session server side; the
ZAF SDK's script tag able to carry an integrity hash; 413 for an oversized chunked body.
"""
import io

import pytest
from flask import render_template

from connector import config as settings
from connector.config import ConfigError
from connector.web.app import create_app
from tests.conftest import ADMIN_TOKEN, make_config, make_runtime

ZENDESK_ONLY = "frame-ancestors https://*.zendesk.com https://*.zdusercontent.com"


@pytest.fixture
def make_app(db_url, fake_zendesk, fake_hubspot):
    built = []

    def make(**overrides):
        rt = make_runtime(make_config(db_url, **overrides), zendesk=fake_zendesk, hubspot=fake_hubspot)
        built.append(rt)
        return create_app(rt.config, runtime=rt)
    yield make
    for rt in built:
        rt.engine.dispose()


def login(client, token=ADMIN_TOKEN, **kwargs):
    return client.post("/dashboard/login", data={"token": token}, **kwargs)


def test_screens_cannot_be_framed_and_carry_a_csp(client):
    login(client)
    for path in ("/dashboard/login", "/dashboard", "/hubspot/card/preview", "/api/jobs", "/healthz"):
        headers = client.get(path).headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "script-src 'self';" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert "Strict-Transport-Security" not in headers  # no public HTTPS address configured


def test_forms_stay_on_the_site_except_the_install_page_that_leads_to_the_vendor(client):
    assert "form-action 'self'" in client.get("/dashboard/login").headers["Content-Security-Policy"]
    install = client.get("/oauth/zendesk/install").headers
    assert "form-action" not in install["Content-Security-Policy"] and install["X-Frame-Options"] == "DENY"


def test_the_sidebar_is_framed_by_zendesk_only(client):
    headers = client.get("/zendesk/sidebar").headers
    policy = headers["Content-Security-Policy"]
    assert policy.endswith(ZENDESK_ONLY) and "'self' https://*.zendesk.com" not in policy
    assert "script-src 'self' https://static.zdassets.com;" in policy
    assert "X-Frame-Options" not in headers and headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_when_the_public_address_is_https(make_app):
    app = make_app(PUBLIC_BASE_URL="https://recovery.example.com")
    assert app.test_client().get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_wrong_bearer_tokens_are_throttled_per_address(make_app):
    client = make_app(AUTH_FAILURE_BURST=5, AUTH_FAILURES_PER_MINUTE=1).test_client()
    statuses = [client.get("/api/jobs", headers={"Authorization": f"Bearer guess-{i}"}).status_code
                for i in range(300)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    blocked = client.get("/api/jobs", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1  # the right one waits too
    other = client.get("/api/jobs", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    assert client.get("/api/jobs").status_code == 401  # no token is no guess: told what to send


def test_wrong_dashboard_logins_are_throttled(make_app):
    client = make_app(AUTH_FAILURE_BURST=3, AUTH_FAILURES_PER_MINUTE=1).test_client()
    assert [login(client, "wrong").status_code for _ in range(5)] == [401, 401, 401, 429, 429]
    assert login(client).status_code == 429


def test_logout_ends_the_session_for_every_copy_of_the_cookie(client):
    login(client)
    cookie = client.get_cookie("recovery_admin").value
    page = client.get("/dashboard")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/dashboard/logout", data={"csrf_token": csrf}).status_code == 303
    client.set_cookie("recovery_admin", cookie)  # a copy taken before "Log out"
    assert client.get("/dashboard").status_code == 303
    assert client.get("/hubspot/card/preview").status_code == 401


@pytest.mark.parametrize("token", ["", "x" * 24, "y" * 40])
def test_a_long_enough_admin_token_starts(token):
    settings.check_deployment({"ADMIN_TOKEN": token}, sandbox=False)


def test_a_short_admin_token_is_refused_outside_the_sandbox():
    with pytest.raises(ConfigError, match="ADMIN_TOKEN is 12 characters: use at least 24"):
        settings.check_deployment({"ADMIN_TOKEN": "short-token1"}, sandbox=False)
    settings.check_deployment({"ADMIN_TOKEN": "short-token1"}, sandbox=True)


def test_oauth_needs_the_public_address():
    oauth = {"HUBSPOT_CLIENT_ID": "id", "HUBSPOT_CLIENT_SECRET": "s", "ENCRYPTION_KEYS": "k"}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL is required"):
        settings.check_deployment(oauth, sandbox=False)
    settings.check_deployment({**oauth, "PUBLIC_BASE_URL": "https://recovery.example.com"}, sandbox=False)


def test_a_server_built_from_the_environment_refuses_a_short_token(monkeypatch, tmp_path):
    monkeypatch.setenv("RECOVERY_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("RECOVERY_ADMIN_TOKEN", "admin")
    with pytest.raises(ConfigError, match="ADMIN_TOKEN"):
        create_app()


def test_the_zaf_sdk_tag_carries_a_pinned_integrity_hash(make_app):
    digest = "sha384-" + "A" * 64
    app = make_app(ZAF_SDK_URL="https://cdn.example.com/zaf/2.0.52/zaf_sdk.min.js", ZAF_SDK_INTEGRITY=digest)
    with app.test_request_context("/zendesk/sidebar"):
        page = render_template("sidebar.html", session_token="t")
    assert (f'<script src="https://cdn.example.com/zaf/2.0.52/zaf_sdk.min.js" integrity="{digest}" '
            f'crossorigin="anonymous"></script>') in page
    policy = app.test_client().get("/zendesk/sidebar").headers["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.example.com;" in policy


@pytest.mark.parametrize("path", ["/webhooks/surveys/generic", "/webhooks/zendesk", "/webhooks/hubspot"])
def test_an_oversized_chunked_body_is_413_not_401(client, path):
    big = io.BytesIO(b"x" * (256 * 1024 + 10))
    response = client.post(path, input_stream=big, headers={"Transfer-Encoding": "chunked",
                                                           "Content-Type": "application/json"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
