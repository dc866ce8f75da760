"""Several machines, on one: gunicorn web processes and separate `recovery worker`
processes sharing PostgreSQL. Every answer syncs exactly once."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ADMIN_TOKEN
from tests.e2e.conftest import wait_until
from tests.signing import SECRET, answer_payload, just_now, signed_headers

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.postgres
def test_gunicorn_web_and_separate_workers_on_postgresql(postgres_url, vendors, tmp_path):
    config = vendors.config(postgres_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    env.update({f"RECOVERY_{k}": str(v) for k, v in config.items() if v is not None and not isinstance(v, bool)},
               RECOVERY_WORKER_POLL_SECONDS="0.1")
    subprocess.run([BIN / "recovery", "install-schema"], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(tmp_path / "processes.log", "wb")
    processes = [subprocess.Popen([BIN / "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                   "connector.web.app:create_app()"], env=env, stdout=log, stderr=log)]
    processes += [subprocess.Popen([BIN / "recovery", "worker", "--threads", "2"], env=env, stdout=log, stderr=log)
                  for _ in range(2)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base), timeout=30, interval=0.1)
        emails = [f"multi{i}@example.com" for i in range(6)]
        case_ids = []
        for i, email in enumerate(emails):
            payload = answer_payload(submitted_at=just_now(), response_id=f"multi-{i}",
                                     score=3 if i % 3 else 9, customer={"email": email})
            body = json.dumps(payload).encode()
            answer = requests.post(f"{base}/webhooks/surveys/generic", data=body, timeout=10,
                                   headers=signed_headers(body, secret=SECRET, msg_id=f"mp{i}")).json()
            case_ids.append(answer["case_id"])
        opened = [c for c in case_ids if c]
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        wait_until(lambda: all(requests.get(f"{base}/api/cases/{c}", headers=headers, timeout=5).json()
                               ["sync_status"] == "synced" for c in opened), timeout=60, interval=0.2)
        wait_until(lambda: all(vendors.hubspot.contact_by_email(e) for e in emails), timeout=30)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
    assert len(opened) == 4
    assert sorted(t["external_id"] for t in vendors.zendesk.tickets.values()) == sorted(f"recovery-{c}" for c in opened)
    for i, email in enumerate(emails):
        assert len(vendors.tasks_of(email)) == (8 if i % 3 else 0)


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:  # refused, or bound but still loading the app (read timeout)
        return False
