"""Each company names its own case owners: its answers are routed to its people, never to the
deployment's, and a routing is validated like mappings/routing.json before it is stored."""
import json

import pytest

from connector.installs import store
from connector.store.db import transaction
from tests.conftest import ADMIN_TOKEN, make_runtime
from tests.installs.support import oauth_config
from tests.signing import OTHER_SECRET, answer_payload, post_answer, signed_headers

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def owner(name: str, email: str) -> dict:
    return {"name": name, "email": email, "zendesk_assignee_email": email, "hubspot_owner": email}


ACME = {"tiers": {tier: {"owners": [owner("Ada Lovelace", f"ada.{tier}@acme.example"),
                                    owner("Alan Turing", f"alan.{tier}@acme.example")]}
                  for tier in ("critical", "high", "standard")}}


@pytest.fixture
def setup(db_url):
    from connector.web.app import create_app

    rt = make_runtime(oauth_config(db_url))
    with transaction(rt.sessions) as session:
        store.set_tenant_secrets(session, rt.directory.cipher, "t_acme", {"WEBHOOK_SECRET": OTHER_SECRET})
    yield rt, create_app(rt.config, runtime=rt).test_client()
    rt.engine.dispose()


def acme_answer(client, response_id: str) -> dict:
    body = json.dumps(answer_payload(response_id=response_id, customer={"email": "zoe@example.com"})).encode()
    answer = client.post("/t/t_acme/webhooks/surveys/generic", data=body,
                         headers=signed_headers(body, secret=OTHER_SECRET, msg_id=response_id))
    assert answer.status_code == 202, answer.get_json()
    return client.get(f"/api/cases/{answer.get_json()['case_id']}", headers=ADMIN).get_json()


def test_a_company_routes_its_cases_to_its_own_people(setup):
    rt, client = setup
    assert client.get("/api/tenants/t_acme/routing", headers=ADMIN).get_json()["source"] == "deployment"
    put = client.put("/api/tenants/t_acme/routing", headers=ADMIN, json=ACME)
    assert put.status_code == 200 and put.get_json()["source"] == "tenant"
    assert put.get_json()["tiers"] == {tier: {"owners": [{**o, "zendesk_group_id": None} for o in spec["owners"]]}
                                       for tier, spec in ACME["tiers"].items()}  # as given, defaults filled in
    ours = acme_answer(client, "acme-1")
    assert ours["owner"].endswith("@acme.example") and ours["tenant"] == "t_acme"
    deployment = post_answer(client, answer_payload(response_id="home-1")).get_json()["case_id"]
    assert not client.get(f"/api/cases/{deployment}", headers=ADMIN).get_json()["owner"].endswith("@acme.example")
    assert rt.for_tenant("t_acme").policies.routing.tiers["critical"][0].name == "Ada Lovelace"
    assert rt.for_tenant("default").policies is rt.policies

    client.post("/dashboard/login", data={"token": ADMIN_TOKEN})  # the settings view shows whose routing
    assert "Ada Lovelace" in client.get("/dashboard?tenant=t_acme").text
    assert "Ada Lovelace" not in client.get("/dashboard").text

    reset = client.delete("/api/tenants/t_acme/routing", headers=ADMIN)
    assert reset.status_code == 200 and reset.get_json()["source"] == "deployment"
    assert not acme_answer(client, "acme-2")["owner"].endswith("@acme.example")


@pytest.mark.parametrize("broken,field", [
    ({"tiers": {"critical": ACME["tiers"]["critical"], "high": ACME["tiers"]["high"]}}, "standard"),
    ({"tiers": {**ACME["tiers"], "high": {"owners": [owner("Only One", "one@acme.example")]}}}, "high"),
    ({"tiers": {**ACME["tiers"], "critical": {"owners": [{"name": "No Email"}, owner("B", "b@acme.example")]}}},
     "critical"),
])
def test_a_broken_routing_is_refused_with_field_messages_and_stores_nothing(setup, broken, field):
    _, client = setup
    put = client.put("/api/tenants/t_acme/routing", headers=ADMIN, json=broken)
    assert put.status_code == 422 and field in put.get_json()["fields"]["tiers"]
    assert client.get("/api/tenants/t_acme/routing", headers=ADMIN).get_json()["source"] == "deployment"


def test_routing_needs_the_admin_token_and_a_known_tenant(setup):
    _, client = setup
    assert client.put("/api/tenants/t_acme/routing", json=ACME).status_code == 401
    assert client.put("/api/tenants/t_nobody/routing", headers=ADMIN, json=ACME).status_code == 404
    assert client.get("/api/tenants/t_nobody/routing", headers=ADMIN).status_code == 404
