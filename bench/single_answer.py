"""Issue 2 figures: webhook answer latency, and 202-to-synced time on an idle sandbox.

Runs the real connector (SQLite, 2 worker threads) against the stand-ins over
HTTP, like `make run`. Usage: `.venv/bin/python bench/single_answer.py [N] [--serve]`;
`RECOVERY_SQLITE_SYNCHRONOUS=NORMAL` measures the faster, less durable commit. ``--serve``
measures the command itself, ``recovery serve --sandbox --port 0`` in its own process (what an
operator runs), instead of the app on a test server inside this process.
"""
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.config import DEFAULTS  # noqa: E402
from connector.jobs.worker import start_threads  # noqa: E402
from connector.sandbox.launch import start_sandbox  # noqa: E402
from connector.sandbox.server import BackgroundServer  # noqa: E402
from connector.web.app import create_app  # noqa: E402
from tests.signing import answer_payload, signed_headers  # noqa: E402


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def in_process(config: dict):
    """The app on a test server in this process, 2 worker threads beside it: (url, stop)."""
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    start_sandbox(config)
    app = create_app(config)
    rt = app.extensions["recovery"]
    stop = threading.Event()
    start_threads(rt, 2, stop)
    web = BackgroundServer(app).start()
    return web.url, lambda: (stop.set(), rt.wake.set())


def serve_command(config: dict):
    """``recovery serve --sandbox --port 0`` in its own process: (url, stop)."""
    import re
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    env.update({f"RECOVERY_{k}": str(config[k]) for k in
                ("DATABASE_URL", "SQLITE_SYNCHRONOUS", "WEBHOOK_SECRET", "ADMIN_TOKEN", "WORKER_POLL_SECONDS")},
               RECOVERY_WORKER_THREADS="2", PYTHONUNBUFFERED="1")
    log = open(Path(config["DATABASE_URL"].split("///", 1)[1]).with_name("serve.log"), "w+b")
    process = subprocess.Popen([sys.executable, "-m", "connector", "serve", "--sandbox", "--port", "0"],
                               cwd=Path(__file__).resolve().parents[1], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(rb"serving on (http://[0-9.]+:[0-9]+)", Path(log.name).read_bytes())
        if found:
            url = found.group(1).decode()
            try:
                requests.get(f"{url}/healthz", timeout=5)
                return url, lambda: (process.terminate(), process.wait(30))
            except requests.ConnectionError:
                pass
        time.sleep(0.1)  # polling the child's log for its port
    process.kill()
    raise SystemExit(f"recovery serve did not start: {Path(log.name).read_text(errors='replace')[-2000:]}")


def main(count: int = 300, serve: bool = False) -> None:
    folder = tempfile.mkdtemp()
    config = dict(DEFAULTS, DATABASE_URL=f"sqlite:///{folder}/bench.db", WORKER_POLL_SECONDS=0.5,
                  SQLITE_SYNCHRONOUS=os.environ.get("RECOVERY_SQLITE_SYNCHRONOUS", "FULL"))
    from tests.signing import SECRET
    config["WEBHOOK_SECRET"] = SECRET
    config["ADMIN_TOKEN"] = "bench-admin-token-0123456789abcdef"
    url, stop = (serve_command if serve else in_process)(config)
    session = requests.Session()
    headers_admin = {"Authorization": f"Bearer {config['ADMIN_TOKEN']}"}

    def post(i: int, score: int):
        # Answered now: the fixture's fixed date would put every stage overdue at once.
        body = json.dumps(answer_payload(response_id=f"bench-{i}", score=score, submitted_at=now_iso(),
                                         customer={"email": f"b{i}@example.com"})).encode()
        started = time.perf_counter()
        response = session.post(f"{url}/webhooks/surveys/generic", data=body,
                                headers=signed_headers(body, msg_id=f"m{i}"))
        return time.perf_counter() - started, response.json()

    def synced(case_id) -> bool:
        return session.get(f"{url}/api/cases/{case_id}", headers=headers_admin).json()["sync_status"] == "synced"

    latencies, cases = [], []
    for i in range(count):
        elapsed, body = post(i, 3 if i % 10 < 3 else 9)  # 30% detractors
        latencies.append(elapsed)
        cases += [body["case_id"]] if body["case_id"] else []
    while not all(synced(c) for c in cases):  # let the burst drain before the idle measurement
        time.sleep(0.05)
    # Idle: one detractor at a time, each after the HubSpot budget has refilled (10 calls at 9/s
    # in the shared limiter), so the figure is the pipeline's own, not the rate limit's.
    to_synced = []
    for i in range(count, count + 10):
        time.sleep(1.5)
        _, body = post(i, 3)
        accepted = time.perf_counter()
        while not synced(body["case_id"]):
            time.sleep(0.005)
        to_synced.append(time.perf_counter() - accepted)
    stop()
    ms = [x * 1000 for x in latencies]
    where = "recovery serve" if serve else "in process"
    print(f"{where}, synchronous={config['SQLITE_SYNCHRONOUS']}: webhook 202/200 latency over {count} sequential answers: "
          f"p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms")
    ms_synced = [x * 1000 for x in to_synced]
    print(f"202 -> synced in Zendesk and HubSpot (idle, {len(to_synced)} detractors one at a time): "
          f"median {statistics.median(ms_synced):.0f} ms, max {max(ms_synced):.0f} ms")


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(numbers[0] if numbers else 300, serve="--serve" in sys.argv[1:])
