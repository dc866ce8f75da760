"""Two companies installed side by side through OAuth, each with its own Zendesk account and
HubSpot portal (stand-ins that hold several accounts and record who called each). The same
customer answers both companies' surveys; nothing of one tenant may reach the other's accounts."""
import json
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, request

from connector.domain.routing import load_routing
from connector.installs import store
from connector.installs.crypto import generate_key
from connector.installs.oauth import HUBSPOT_SCOPES
from connector.sandbox.accounts import start_accounts
from connector.sandbox.oauth import ManualClock
from connector.sandbox.server import BackgroundServer
from connector.store.db import transaction
from tests.conftest import ADMIN_TOKEN, make_config
from tests.e2e.conftest import Connector, wait_until
from tests.signing import answer_payload, just_now, signed_headers

PUBLIC = "http://connector.test"
CLIENT = dict(client_id="recovery-app", client_secret="recovery-app-secret",
              redirect_uris=[f"{PUBLIC}/oauth/hubspot/callback", f"{PUBLIC}/oauth/zendesk/callback"],
              scopes=HUBSPOT_SCOPES.split())
TENANTS = {"acme": 101, "globex": 202}
TOKEN_TTL = 3600  # Zendesk subdomain -> HubSpot portal of each company


@pytest.fixture
def accounts():
    # The vendors' clock moves by hand: their tokens expire when the test says so.
    with start_accounts(zendesk=list(TENANTS), hubspot=list(TENANTS.values()), oauth_client=CLIENT,
                        token_ttl=TOKEN_TTL, clock=ManualClock()) as running:
        routing = load_routing(None)
        for subdomain, portal in TENANTS.items():
            running.zendesk_account(subdomain).state.seed_agents(routing)
            running.hubspot_portal(portal).state.seed_owners(routing)
        yield running


@pytest.fixture
def chat():
    """Each company's team chat: an incoming-webhook receiver, one path per company."""
    posted: dict[str, list[str]] = {}
    app = Flask("chat")

    @app.post("/hooks/<company>")
    def receive(company):
        posted.setdefault(company, []).append(request.get_json()["text"])
        return "ok"

    with BackgroundServer(app) as server:
        server.posted = posted
        yield server


@pytest.fixture
def connector(db_url, accounts):
    config = make_config(
        db_url, PUBLIC_BASE_URL=PUBLIC, ENCRYPTION_KEYS=generate_key(), WORKER_POLL_SECONDS=0.05,
        HUBSPOT_CLIENT_ID=CLIENT["client_id"], HUBSPOT_CLIENT_SECRET=CLIENT["client_secret"],
        ZENDESK_CLIENT_ID=CLIENT["client_id"], ZENDESK_CLIENT_SECRET=CLIENT["client_secret"],
        HUBSPOT_BASE_URL=accounts.hubspot_url, HUBSPOT_AUTHORIZE_URL=f"{accounts.hubspot_url}/oauth/authorize",
        ZENDESK_ACCOUNT_URL=accounts.zendesk_url + "/{subdomain}", JOB_BACKOFF_CAP_SECONDS=0.5,
        JOB_MAX_ATTEMPTS=10, SANDBOX=True)  # sandbox: the chat receiver is on loopback
    running = Connector(config, workers=2)
    yield running
    running.close()


def _follow(browser: requests.Session, connector, start: str, **consent) -> requests.Response:
    """Install as an admin's browser would: connector -> vendor consent (auto-approved) -> callback."""
    to_vendor = browser.get(connector.url + start, allow_redirects=False)
    assert to_vendor.status_code == 302, to_vendor.text
    consent_url = to_vendor.headers["Location"] + "".join(f"&{k}={v}" for k, v in consent.items())
    back = requests.get(consent_url, allow_redirects=False)
    assert back.status_code == 302, back.text
    location = urlsplit(back.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == PUBLIC
    return browser.get(f"{connector.url}{location.path}?{location.query}")


def install_company(connector, subdomain: str, portal: int) -> str:
    browser = requests.Session()
    page = _follow(browser, connector, "/oauth/hubspot/install", hub_id=portal)
    assert page.status_code == 200, page.text
    join = next(part for part in page.text.split('"') if "/oauth/zendesk/install?join=" in part)
    join = urlsplit(join.replace("&amp;", "&"))
    page = _follow(browser, connector, f"{join.path}?{join.query}&subdomain={subdomain}")
    assert page.status_code == 200, page.text
    with transaction(connector.runtime.sessions) as session:
        tenant = store.tenant_for_account(session, "hubspot", str(portal))
        assert store.tenant_for_account(session, "zendesk", subdomain) == tenant
    return tenant


def send(connector, tenant: str, response_id: str, score: int, email: str) -> dict:
    with transaction(connector.runtime.sessions) as session:
        secret = store.tenant_secrets(session, connector.runtime.directory.cipher, tenant)["WEBHOOK_SECRET"]
    payload = answer_payload(response_id=response_id, score=score, submitted_at=just_now(),
                             customer={"email": email}, comment=f"réponse {response_id}")
    body = json.dumps(payload).encode()
    answer = requests.post(f"{connector.url}/t/{tenant}/webhooks/surveys/generic", data=body, timeout=10,
                           headers=signed_headers(body, secret=secret, msg_id=response_id))
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_two_tenants_side_by_side_never_touch_each_others_accounts(connector, accounts, chat):
    tenants = {sub: install_company(connector, sub, portal) for sub, portal in TENANTS.items()}
    assert len(set(tenants.values())) == 2
    for sub, tenant in tenants.items():  # each company's admin connects its own team chat
        put = requests.put(f"{connector.url}/api/tenants/{tenant}/secrets", timeout=10,
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"CHAT_WEBHOOK_URL": f"{chat.url}/hooks/{sub}"})
        assert put.status_code == 200, put.text
    opened = {sub: [] for sub in TENANTS}
    for sub, tenant in tenants.items():
        for i, score in enumerate((2, 4, 9)):  # two detractors and a promoter, same people in both companies
            case_id = send(connector, tenant, f"{sub}-{i}", score, f"shared{i}@example.com")["case_id"]
            if case_id:
                opened[sub].append(case_id)
    connector.wait_synced([c for ids in opened.values() for c in ids], timeout=30)

    for sub, portal in TENANTS.items():
        zendesk, hubspot = accounts.zendesk_account(sub), accounts.hubspot_portal(portal)
        assert sorted(t["external_id"] for t in zendesk.state.tickets.values()) == sorted(
            f"recovery-{c}" for c in opened[sub])
        assert sorted(c["properties"]["email"] for c in hubspot.state.contacts.values()) == [
            f"shared{i}@example.com" for i in range(3)]
        # the plan's tasks (the rep's heads-up and the weekly digest arrive on their own time)
        assert sum(t["properties"]["hs_task_subject"].startswith("Recovery · ") for t in hubspot.state.tasks.values()) \
            == 8 * len(opened[sub])
        # Every call each account received came with a token of its own install, none refused.
        assert len(zendesk.callers.grants()) == 1 and len(hubspot.callers.grants()) == 1
        assert zendesk.callers.count(status=401) == 0 and hubspot.callers.count(status=401) == 0
    grants = {sub: (accounts.zendesk_account(sub).callers.grants(),
                    accounts.hubspot_portal(portal).callers.grants()) for sub, portal in TENANTS.items()}
    assert grants["acme"][0].isdisjoint(grants["globex"][0]) and grants["acme"][1].isdisjoint(grants["globex"][1])
    assert accounts.hubspot.refused.all() == []
    # Critical cases alert their own company's chat, never the other's.
    critical = {sub: sorted(c for c in ids if "critical" in (connector.case(c)["severity"], connector.case(c)["value_tier"]))
                for sub, ids in opened.items()}
    assert all(critical.values()), critical
    wait_until(lambda: all(len(chat.posted.get(sub, [])) == len(ids) for sub, ids in critical.items()), timeout=30)
    for sub, ids in critical.items():
        assert sorted(int(text.split("#")[1].split(":")[0]) for text in chat.posted[sub]) == ids


def test_an_expired_token_is_refreshed_once_and_a_revoked_install_stops_its_work(connector, accounts):
    acme = install_company(connector, "acme", 101)
    first = send(connector, acme, "a-1", 2, "first@example.com")["case_id"]
    connector.wait_synced([first], timeout=30)
    zendesk, hubspot = accounts.zendesk_account("acme"), accounts.hubspot_portal(101)
    # The vendors expire the tokens early (our clock still thinks they are good): each answers 401,
    # the connector refreshes once per account and the work goes through.
    accounts.clock.advance(TOKEN_TTL + 1)
    early = send(connector, acme, "a-0", 2, "early@example.com")["case_id"]
    connector.wait_synced([early], timeout=30)
    assert (zendesk.refreshes, hubspot.refreshes) == (1, 1)
    assert zendesk.callers.count(status=401) >= 1 and accounts.hubspot.refused.count(status=401) >= 1
    zendesk.oauth.revoke_all()  # Zendesk drops the tokens (the admin uninstalled the app there)
    second = send(connector, acme, "a-2", 2, "second@example.com")["case_id"]
    wait_until(lambda: not _installed(connector, acme, "zendesk"), timeout=30)
    assert zendesk.refresh_reuse == 0
    # HubSpot, still connected, carries on for the new case.
    wait_until(lambda: accounts.hubspot_portal(101).state.contact_by_email("second@example.com"), timeout=30)
    assert sorted(t["external_id"] for t in zendesk.state.tickets.values()) == sorted(
        [f"recovery-{first}", f"recovery-{early}"])
    assert second is not None


def _installed(connector, tenant: str, vendor: str) -> bool:
    with transaction(connector.runtime.sessions) as session:
        return store.installation(session, tenant, vendor) is not None
