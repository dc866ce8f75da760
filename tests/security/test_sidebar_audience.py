"""The Zendesk sidebar serves many accounts with one app key pair: a token is checked against the
installation it names (``aud``) and the account the tenant recorded when it connected Zendesk,
never against one deployment-wide audience. A token of another installation opens nothing here."""
import re

import pytest

from connector.cases.intake import accept
from connector.inbound.schemas import validate_answer
from connector.installs import store
from connector.store.db import transaction
from connector.store.models import Case
from tests.conftest import make_runtime
from tests.fakes import FakeHubSpot, FakeZendesk
from tests.installs.support import START, grant, oauth_config
from tests.signing import answer_payload
from tests.ui_support import ZafKeys

HOME_AUD = "https://home.zendesk.com/api/v2/apps/installations/5.json"  # the environment's own account


def aud(subdomain: str, installation: int = 7) -> str:
    return f"https://{subdomain}.zendesk.com/api/v2/apps/installations/{installation}.json"


@pytest.fixture
def setup(db_url, tmp_path):
    from connector.web.app import create_app

    zaf = ZafKeys(tmp_path)
    config = oauth_config(db_url, ZENDESK_APP_PUBLIC_KEY=zaf.public_pem, ZENDESK_SUBDOMAIN="home",
                          ZENDESK_APP_AUD=HOME_AUD)
    rt = make_runtime(config, zendesk=FakeZendesk(), hubspot=FakeHubSpot())
    with transaction(rt.sessions) as session:
        for tenant, subdomain in (("t_acme", "acme"), ("t_globex", "globex")):
            store.save_grant(session, rt.directory.cipher, tenant, "zendesk", grant(subdomain), START)
    cases = {}
    for tenant in ("default", "t_acme", "t_globex"):
        data = validate_answer(answer_payload(response_id=f"r-{tenant}", customer={"email": f"x@{tenant.replace('_', '-')}.example.com"}))
        cases[tenant] = accept(rt.sessions, rt.policies, data, source="generic", now=rt.clock(),
                               tenant_id=tenant).body["case_id"]
    with transaction(rt.sessions) as session:
        for case_id in cases.values():  # the same ticket id in every account
            session.get(Case, case_id).zendesk_ticket_id = 9001
    yield zaf, create_app(rt.config, runtime=rt).test_client(), cases
    rt.engine.dispose()


def _open(client, token: str):
    """The sidebar page, then the case it shows for ticket 9001 (None when refused)."""
    page = client.post("/zendesk/sidebar", data={"token": token})
    session = re.search(r'name="recovery-session" content="([^"]+)"', page.text)
    if session is None:
        return page.status_code, None
    fragment = client.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": session.group(1)})
    shown = set(map(int, re.findall(r'data-case-id="(\d+)"', fragment.text)))
    return page.status_code, shown


def test_each_installation_opens_its_own_accounts_case(setup):
    zaf, client, cases = setup
    for tenant, subdomain, audience in (("t_acme", "acme", aud("acme")), ("t_globex", "globex", aud("globex", 99)),
                                        ("default", "home", HOME_AUD)):
        status, shown = _open(client, zaf.token({"aud": audience, "iss": f"{subdomain}.zendesk.com"}))
        assert (status, shown) == (200, {cases[tenant]}), tenant


def test_the_environment_audience_is_not_every_tenants_audience(setup):
    """RECOVERY_ZENDESK_APP_AUD names the home account's installation; acme's and globex's own
    installations still open their cases (the old single check refused them all)."""
    zaf, client, cases = setup
    status, shown = _open(client, zaf.token({"aud": aud("acme", 123456), "iss": "acme.zendesk.com"}))
    assert (status, shown) == (200, {cases["t_acme"]})


@pytest.mark.parametrize("claims", [
    {"aud": aud("globex"), "iss": "acme.zendesk.com"},            # another account's installation
    {"aud": aud("acme"), "iss": "https://globex.zendesk.com"},
    {"aud": [aud("acme"), aud("globex")], "iss": "acme.zendesk.com"},  # two installations at once
    {"aud": [], "iss": "acme.zendesk.com"},
    {"aud": None, "iss": "acme.zendesk.com"},
    {"aud": "https://acme.zendesk.com.evil.example/api/v2/apps/installations/7.json", "iss": "acme.zendesk.com"},
    {"aud": "https://evil.example/api/v2/apps/installations/7.json?acme.zendesk.com", "iss": "acme.zendesk.com"},
    {"aud": "http://acme.zendesk.com/api/v2/apps/installations/7.json", "iss": "acme.zendesk.com"},
    {"aud": "https://acme.zendesk.com/api/v2/apps/installations/7.json/../../../users/1.json"},
    {"aud": "acme.zendesk.com", "iss": "acme.zendesk.com"},       # an account, not an installation
    {"aud": aud("acme"), "iss": ["acme.zendesk.com"]},
])
def test_a_token_of_another_or_no_installation_is_refused(setup, claims):
    """Authentic (signed with the app's key) but naming no one account: forbidden, not unauthenticated."""
    zaf, client, _ = setup
    status, shown = _open(client, zaf.token(claims))
    assert (status, shown) == (403, None)


def test_an_installation_in_an_account_nobody_connected_opens_nothing(setup):
    zaf, client, _ = setup
    status, shown = _open(client, zaf.token({"aud": aud("initech"), "iss": "initech.zendesk.com"}))
    assert (status, shown) == (403, None)


def test_the_home_account_is_pinned_to_its_own_installation(setup):
    """On the environment's own account, RECOVERY_ZENDESK_APP_AUD still pins one installation:
    a second install of the app there (another id) opens nothing."""
    zaf, client, _ = setup
    status, shown = _open(client, zaf.token({"aud": aud("home", 6), "iss": "home.zendesk.com"}))
    assert (status, shown) == (403, None)


def test_a_token_signed_with_another_apps_key_is_refused(setup, tmp_path):
    _, client, _ = setup
    (tmp_path / "other").mkdir()
    other = ZafKeys(tmp_path / "other")
    status, shown = _open(client, other.token({"aud": aud("acme"), "iss": "acme.zendesk.com"}))
    assert (status, shown) == (401, None)
