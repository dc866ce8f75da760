"""Each company's re-surveys go out through its own survey tools: a tenant's Delighted API key
and re-survey webhook are its own settings, never the deployment's."""
import base64

import pytest
import responses

from connector.installs import store
from connector.store.db import transaction
from tests.conftest import ADMIN_TOKEN, make_runtime
from tests.installs.support import oauth_config
from tests.installs.test_install_flow import install_hubspot

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SECRET = "whsec_" + base64.b64encode(b"tenant-resurvey-secret-012345").decode()


@pytest.fixture
def rt(db_url):
    rt = make_runtime({**oauth_config(db_url), "DELIGHTED_API_KEY": "deployment-key",
                       "RESURVEY_WEBHOOK_URL": "https://deployment.example/hook", "RESURVEY_WEBHOOK_SECRET": SECRET})
    yield rt
    rt.engine.dispose()


@pytest.fixture
def client(rt):
    from connector.web.app import create_app

    return create_app(rt.config, runtime=rt).test_client()


def tenant_of(rt, portal: str) -> str:
    with transaction(rt.sessions) as session:
        return store.tenant_for_account(session, "hubspot", portal)


@responses.activate
def test_a_tenant_resurveys_with_its_own_tools_only(rt, client):
    install_hubspot(client, 4242)
    install_hubspot(client, 4343)
    mine, other = tenant_of(rt, "4242"), tenant_of(rt, "4343")
    bad = client.put(f"/api/tenants/{mine}/secrets", headers=HEADERS, json={"RESURVEY_WEBHOOK_URL": "no-scheme"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"RESURVEY_WEBHOOK_URL"}
    own = {"DELIGHTED_API_KEY": "tenant-key", "RESURVEY_WEBHOOK_URL": "https://tenant.example/hook",
           "RESURVEY_WEBHOOK_SECRET": SECRET}
    put = client.put(f"/api/tenants/{mine}/secrets", headers=HEADERS, json=own)
    assert put.status_code == 200 and set(own) <= set(put.get_json()["secrets"])
    assert "tenant-key" not in put.get_data(as_text=True)

    senders = rt.for_tenant(mine).resurvey_senders()
    assert senders["delighted"].api_key == "tenant-key" and senders["webhook"].url == "https://tenant.example/hook"
    assert rt.for_tenant(other).resurvey_senders() == {}  # the deployment's tools are tenant default's
    deployment = rt.resurvey_senders()
    assert deployment["delighted"].api_key == "deployment-key"
    assert deployment["webhook"].url == "https://deployment.example/hook"
