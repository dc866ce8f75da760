"""``recovery serve`` as a process tree: web processes plus a job worker under one command, the
real port printed for ``--port 0``, every child gone after SIGTERM or Ctrl-C, plain log lines."""
import os
import signal

import pytest
import requests

from tests.e2e.conftest import wait_until
from tests.serve_support import ADMIN_TOKEN, ServeCommand, alive


def children_by_role(serve: ServeCommand) -> list[int]:
    return [pid for pid in serve.tree() if pid != serve.process.pid]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("how", ["SIGTERM to the server", "Ctrl-C to the process group", "SIGKILL to the server"])
def test_the_server_and_all_its_children_stop_cleanly(tmp_path, how):
    # A poll that never comes within the test: only the web process's wake-up can start the sync.
    serve = ServeCommand(tmp_path, WEB_PROCESSES=2, WORKER_POLL_SECONDS=600)
    try:
        children = children_by_role(serve)
        assert len(children) == 3, children  # two web processes and the job worker
        response = serve.post_answer("before-stop")
        assert response.status_code == 202
        case_id = response.json()["case_id"]
        # The job worker process syncs it, woken by the web process that stored it.
        wait_until(lambda: requests.get(f"{serve.url}/api/cases/{case_id}", timeout=5,
                                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
                                        ).json()["sync_status"] == "synced", timeout=30)
    finally:
        sig, group = {"SIGTERM to the server": (signal.SIGTERM, False), "SIGKILL to the server": (signal.SIGKILL, False),
                      "Ctrl-C to the process group": (signal.SIGINT, True)}[how]
        code = serve.stop(sig, group=group)
    # A killed server cannot stop its children: they notice their parent is gone and stop.
    assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 0), serve.text()[-3000:]
    wait_until(lambda: not any(alive(pid) for pid in children), timeout=20)  # no orphan left behind
    assert "Traceback" not in serve.text()
    assert "job worker process" not in serve.text()  # stopping is not reported as a crash


@pytest.mark.timeout(180)
def test_log_lines_carry_no_colour_codes(tmp_path):
    serve = ServeCommand(tmp_path)
    try:
        assert serve.post_answer("plain-logs").status_code == 202
        assert requests.get(f"{serve.url}/no-such-page", timeout=5).status_code == 404
        assert requests.post(f"{serve.url}/webhooks/surveys/generic", data=b"{}", timeout=5).status_code == 401
    finally:
        serve.stop()
    text = serve.text()
    assert "serving on http://127.0.0.1:" in text
    # Neither the escape byte itself nor its escaped form (the log sanitiser writes ESC as \x1b).
    assert "\x1b" not in text and "\\x1b" not in text


@pytest.mark.timeout(240)
def test_a_job_worker_that_dies_is_started_again(tmp_path):
    serve = ServeCommand(tmp_path, WEB_PROCESSES=1)
    try:
        [web, worker] = sorted(children_by_role(serve), key=lambda pid: "worker started" in _log_of(serve, pid))
        os.kill(worker, signal.SIGKILL)
        replaced = wait_until(lambda: [p for p in children_by_role(serve) if p not in (web, worker)], timeout=30)
        assert len(replaced) == 1
        response = serve.post_answer("after-restart")
        case_id = response.json()["case_id"]
        wait_until(lambda: requests.get(f"{serve.url}/api/cases/{case_id}", timeout=5,
                                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
                                        ).json()["sync_status"] == "synced", timeout=60)
    finally:
        assert serve.stop() == 0


def _log_of(serve: ServeCommand, pid: int) -> str:
    return "\n".join(line for line in serve.text().splitlines() if f":{pid}:" in line)
