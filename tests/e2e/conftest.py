"""A live connector: real zenpy and hubspot-api-client over HTTP to the stand-ins."""
import json
import re
import threading
import time
from dataclasses import dataclass

import pytest
import requests

from connector.sandbox.hubspot import create_hubspot_standin
from connector.sandbox.server import BackgroundServer
from connector.sandbox.zendesk import create_zendesk_standin
from tests.conftest import ADMIN_TOKEN, make_config
from tests.signing import signed_headers

HEADS_UP = re.compile(r"recovery-\d+-rep\b")  # the natural key in the rep's heads-up task body
_IMMEDIATE = {"SYSTEMIC_UPDATE_SECONDS": 0}  # see Vendors.config

ZENDESK_EMAIL, ZENDESK_TOKEN, HUBSPOT_TOKEN = "agent@example.com", "zd-token-e2e-123", "pat-e2e-456"


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll a condition (never a blind sleep); return its first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@dataclass
class Vendors:
    zendesk_server: BackgroundServer
    hubspot_server: BackgroundServer

    @property
    def zendesk(self):
        return self.zendesk_server.app.extensions["zendesk_standin"]

    @property
    def hubspot(self):
        return self.hubspot_server.app.extensions["hubspot_standin"]

    def config(self, db_url: str, **overrides) -> dict:
        """The vendors' stand-ins as the connector's accounts. Systemic updates go out at once
        (the wall clock runs here: a 30 s window would outlast the tests' waits)."""
        return make_config(
            db_url, ZENDESK_SUBDOMAIN="acme", ZENDESK_EMAIL=ZENDESK_EMAIL, ZENDESK_API_TOKEN=ZENDESK_TOKEN,
            ZENDESK_BASE_URL=self.zendesk_server.url, HUBSPOT_ACCESS_TOKEN=HUBSPOT_TOKEN,
            HUBSPOT_BASE_URL=self.hubspot_server.url, **{**_IMMEDIATE, **overrides})

    def tasks_of(self, email: str) -> list[dict]:
        contact = self.hubspot.contact_by_email(email)
        if contact is None:
            return []
        return [t for t in self.hubspot.tasks.values() if contact["id"] in t["associations"].get("contacts", [])
                and not HEADS_UP.search(t["properties"].get("hs_task_body", ""))]

    def heads_up_tasks_of(self, email: str) -> list[dict]:
        """The rep's heads-up tasks on the contact (``tasks_of`` leaves them out: it counts the plan's)."""
        contact = self.hubspot.contact_by_email(email)
        return [t for t in self.hubspot.tasks.values() if contact and contact["id"] in
                t["associations"].get("contacts", []) and HEADS_UP.search(t["properties"].get("hs_task_body", ""))]


@pytest.fixture
def vendors():
    from connector.domain.routing import load_routing

    routing = load_routing()
    zendesk = BackgroundServer(create_zendesk_standin(email=ZENDESK_EMAIL, api_token=ZENDESK_TOKEN)).start()
    hubspot = BackgroundServer(create_hubspot_standin(access_tokens=[HUBSPOT_TOKEN])).start()
    zendesk.app.extensions["zendesk_standin"].seed_agents(routing)
    hubspot.app.extensions["hubspot_standin"].seed_owners(routing)
    yield Vendors(zendesk, hubspot)
    zendesk.stop()
    hubspot.stop()


class Connector:
    """The web app on a loopback port with in-process worker threads."""

    def __init__(self, config: dict, workers: int = 2):
        from connector.jobs.worker import start_threads
        from connector.web.app import create_app

        self.app = create_app(config)
        self.runtime = self.app.extensions["recovery"]
        self.stop_event = threading.Event()
        self.threads = start_threads(self.runtime, workers, self.stop_event) if workers else []
        self.server = BackgroundServer(self.app).start()
        self.url = self.server.url

    def post(self, payload: dict, msg_id: str = "msg_1") -> requests.Response:
        body = json.dumps(payload).encode()
        return requests.post(f"{self.url}/webhooks/surveys/generic", data=body,
                             headers=signed_headers(body, msg_id=msg_id), timeout=10)

    def case(self, case_id: int) -> dict:
        return requests.get(f"{self.url}/api/cases/{case_id}", timeout=10,
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()

    def cases(self, email: str) -> list[dict]:
        return requests.get(f"{self.url}/api/cases", params={"email": email}, timeout=10,
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["cases"]

    def admin_post(self, path: str, payload: dict | None = None) -> requests.Response:
        return requests.post(f"{self.url}{path}", json=payload or {}, timeout=10,
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    def wait_synced(self, case_ids, timeout: float = 15.0) -> list[dict]:
        return wait_until(lambda: (cases := [self.case(i) for i in case_ids])
                          and all(c["sync_status"] == "synced" for c in cases) and cases, timeout)

    def close(self) -> None:
        self.stop_event.set()
        self.runtime.wake.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.server.stop()
        self.runtime.engine.dispose()


@pytest.fixture
def connector_factory(db_url, vendors):
    started = []

    def start(workers: int = 2, **overrides) -> Connector:
        connector = Connector(vendors.config(db_url, WORKER_POLL_SECONDS=0.05, **overrides), workers)
        started.append(connector)
        return connector

    yield start
    for connector in started:
        connector.close()
