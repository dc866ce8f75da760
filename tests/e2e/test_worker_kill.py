"""Workers killed with SIGKILL mid-sync: after a restart all work completes, once."""
import os
import signal
import subprocess
import sys

import pytest

from tests.e2e.conftest import wait_until
from tests.signing import SECRET, answer_payload, just_now

pytestmark = pytest.mark.e2e

COMMENTS = ["Service catastrophique, je cherche déjà un autre fournisseur.",
            "Usually great, but this time nobody called back."]


def start_worker(config: dict, log_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECOVERY_")}
    env.update({f"RECOVERY_{key}": str(value) for key, value in config.items()
                if value is not None and not isinstance(value, bool)})
    env.update(RECOVERY_JOB_LEASE_SECONDS="2", RECOVERY_WORKER_POLL_SECONDS="0.05", RECOVERY_LOG_LEVEL="DEBUG")
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "connector", "worker", "--threads", "2"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def successful_calls(vendors) -> int:
    return sum(1 for c in vendors.zendesk.calls.all() + vendors.hubspot.calls.all() if c.status < 300)


def test_sigkilled_workers_leave_no_loss_and_no_duplicate(connector_factory, vendors, tmp_path):
    vendors.zendesk.faults.latency = vendors.hubspot.faults.latency = 0.05  # a vendor that takes its time
    web = connector_factory(workers=0)
    emails = [f"kill{i}@example.com" for i in range(6)]
    case_ids = [web.post(answer_payload(submitted_at=just_now(), response_id=f"kill-{i}", comment=COMMENTS[i % 2],
                                        customer={"email": email, "name": f"Client {i}"}),
                         msg_id=f"k{i}").json()["case_id"] for i, email in enumerate(emails)]
    config = {key: web.app.config[key] for key in web.runtime.config}
    log_path = tmp_path / "workers.log"

    for kill_after in (4, 12):  # kill twice, at different points of the sync
        worker = start_worker(config, log_path)
        wait_until(lambda kill_after=kill_after: successful_calls(vendors) >= kill_after, timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert not all(web.case(i)["sync_status"] == "synced" for i in case_ids), "killed too late to prove anything"

    survivor = start_worker(config, log_path)
    try:
        web.wait_synced(case_ids, timeout=60)
    finally:
        survivor.terminate()
        survivor.wait(timeout=10)

    external_ids = [t["external_id"] for t in vendors.zendesk.tickets.values()]
    assert sorted(external_ids) == sorted(f"recovery-{i}" for i in case_ids)
    for email in emails:
        assert len([c for c in vendors.hubspot.contacts.values() if c["properties"]["email"] == email]) == 1
        assert len(vendors.tasks_of(email)) == 8

    log = log_path.read_text(errors="replace")
    assert "worker started" in log
    for secret in [*emails, *COMMENTS, SECRET, config["ZENDESK_API_TOKEN"], config["HUBSPOT_ACCESS_TOKEN"],
                   config["ADMIN_TOKEN"]]:
        assert secret not in log
