"""Issue 14, finding 5: one tenant's campaign beside another tenant's lone answer.

Two companies installed through OAuth against the multi-account stand-ins (as
tests/e2e/test_two_tenants.py does), the connector in process with 2 worker threads on SQLite.
1. quiet: company B sends one detractor answer; seconds from its 202 to its case synced;
2. flood: company A sends ``--flood`` valid answers (a third of them detractors) from
   ``--threads`` senders, then B sends one detractor answer; again seconds to synced, and how
   many of A's jobs were still queued when B's case synced.
Usage: ``.venv/bin/python bench/tenant_fairness.py [--flood 1500]``. Run it from another
checkout (``PYTHONPATH=that/checkout``) to measure that code the same way.
"""
import argparse
import json
import logging
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.domain.routing import load_routing  # noqa: E402
from connector.installs import store  # noqa: E402
from connector.installs.crypto import generate_key  # noqa: E402
from connector.sandbox.accounts import start_accounts  # noqa: E402
from connector.store.db import transaction  # noqa: E402
from connector.store.models import Job  # noqa: E402
from tests.conftest import make_config  # noqa: E402
from tests.e2e.conftest import Connector  # noqa: E402
from tests.e2e.test_two_tenants import CLIENT, PUBLIC, install_company  # noqa: E402
from tests.signing import answer_payload, just_now, signed_headers  # noqa: E402

COMPANIES = {"flooder": 101, "lone": 202}


def post(connector, tenant: str, secret: str, response_id: str, score: int, session=requests) -> dict:
    body = json.dumps(answer_payload(response_id=response_id, score=score, submitted_at=just_now(),
                                     customer={"email": f"{response_id}@example.com"})).encode()
    answer = session.post(f"{connector.url}/t/{tenant}/webhooks/surveys/generic", data=body, timeout=30,
                          headers=signed_headers(body, secret=secret, msg_id=response_id))
    assert answer.status_code == 202, (answer.status_code, answer.text)
    return answer.json()


def time_to_synced(connector, tenant, secret, response_id) -> float:
    started = time.perf_counter()
    case_id = post(connector, tenant, secret, response_id, score=2)["case_id"]
    connector.wait_synced([case_id], timeout=600)
    return time.perf_counter() - started


def queued(connector, tenant) -> int:
    with transaction(connector.runtime.sessions) as session:
        return session.scalar(select(func.count(Job.id)).where(Job.tenant_id == tenant,
                                                              Job.status.in_(("queued", "running"))))


def flood(connector, tenant, secret, count, threads) -> float:
    rng, started = random.Random(5), time.perf_counter()
    scores = [rng.choice((0, 3, 5)) if rng.random() < 1 / 3 else rng.randint(7, 10) for _ in range(count)]

    def send(part):
        with requests.Session() as session:
            for i in range(part, count, threads):
                post(connector, tenant, secret, f"campaign-{i}", scores[i], session)
    senders = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the stand-ins' access log and the workers' pacing notes
    with start_accounts(zendesk=list(COMPANIES), hubspot=list(COMPANIES.values()), oauth_client=CLIENT) as accounts:
        routing = load_routing(None)
        for subdomain, portal in COMPANIES.items():
            accounts.zendesk_account(subdomain).state.seed_agents(routing)
            accounts.hubspot_portal(portal).state.seed_owners(routing)
        config = make_config(
            f"sqlite:///{tempfile.mkdtemp()}/fairness.db", PUBLIC_BASE_URL=PUBLIC, ENCRYPTION_KEYS=generate_key(),
            WORKER_POLL_SECONDS=0.05, HUBSPOT_CLIENT_ID=CLIENT["client_id"],
            HUBSPOT_CLIENT_SECRET=CLIENT["client_secret"], ZENDESK_CLIENT_ID=CLIENT["client_id"],
            ZENDESK_CLIENT_SECRET=CLIENT["client_secret"], HUBSPOT_BASE_URL=accounts.hubspot_url,
            HUBSPOT_AUTHORIZE_URL=f"{accounts.hubspot_url}/oauth/authorize",
            ZENDESK_ACCOUNT_URL=accounts.zendesk_url + "/{subdomain}", JOB_BACKOFF_CAP_SECONDS=0.5,
            JOB_MAX_ATTEMPTS=10, SANDBOX=True)
        connector = Connector(config, workers=args.workers)
        try:
            tenants = {sub: install_company(connector, sub, portal) for sub, portal in COMPANIES.items()}
            with transaction(connector.runtime.sessions) as session:
                secrets = {sub: store.tenant_secrets(session, connector.runtime.directory.cipher, tenant)[
                    "WEBHOOK_SECRET"] for sub, tenant in tenants.items()}
            quiet = time_to_synced(connector, tenants["lone"], secrets["lone"], "lone-quiet")
            sent = flood(connector, tenants["flooder"], secrets["flooder"], args.flood, args.threads)
            backlog = queued(connector, tenants["flooder"])
            during = time_to_synced(connector, tenants["lone"], secrets["lone"], "lone-during")
            left = queued(connector, tenants["flooder"])
        finally:
            connector.close()
    print(f"quiet : the lone company's answer synced in {quiet:.2f} s")
    print(f"flood : {args.flood} answers from the other company sent in {sent:.1f} s "
          f"({args.flood / sent:.0f}/s), {backlog} of its jobs queued or running")
    print(f"        then the lone company's answer synced in {during:.2f} s; "
          f"{left} of the flooder's jobs still queued or running at that moment")


if __name__ == "__main__":
    main()
