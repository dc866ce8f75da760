"""Issue 2 figures: webhook answer latency, and 202-to-synced time on an idle sandbox.

Runs the real connector (SQLite, 2 worker threads) against the stand-ins over
HTTP, like `make run`. Usage: `.venv/bin/python bench/single_answer.py [N]`;
`RECOVERY_SQLITE_SYNCHRONOUS=NORMAL` measures the faster, less durable commit.
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


def main(count: int = 300) -> None:
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    folder = tempfile.mkdtemp()
    config = dict(DEFAULTS, DATABASE_URL=f"sqlite:///{folder}/bench.db", WORKER_POLL_SECONDS=0.5,
                  SQLITE_SYNCHRONOUS=os.environ.get("RECOVERY_SQLITE_SYNCHRONOUS", "FULL"))
    start_sandbox(config)
    from tests.signing import SECRET
    config["WEBHOOK_SECRET"] = SECRET
    app = create_app(config)
    rt = app.extensions["recovery"]
    stop = threading.Event()
    start_threads(rt, 2, stop)
    web = BackgroundServer(app).start()
    session = requests.Session()
    headers_admin = {"Authorization": f"Bearer {config['ADMIN_TOKEN']}"}

    def post(i: int, score: int):
        # Answered now: the fixture's fixed date would put every stage overdue at once.
        body = json.dumps(answer_payload(response_id=f"bench-{i}", score=score, submitted_at=now_iso(),
                                         customer={"email": f"b{i}@example.com"})).encode()
        started = time.perf_counter()
        response = session.post(f"{web.url}/webhooks/surveys/generic", data=body,
                                headers=signed_headers(body, msg_id=f"m{i}"))
        return time.perf_counter() - started, response.json()

    def synced(case_id) -> bool:
        return session.get(f"{web.url}/api/cases/{case_id}", headers=headers_admin).json()["sync_status"] == "synced"

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
    stop.set()
    rt.wake.set()
    ms = [x * 1000 for x in latencies]
    print(f"synchronous={config['SQLITE_SYNCHRONOUS']}: webhook 202/200 latency over {count} sequential answers: "
          f"p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms")
    ms_synced = [x * 1000 for x in to_synced]
    print(f"202 -> synced in Zendesk and HubSpot (idle, {len(to_synced)} detractors one at a time): "
          f"median {statistics.median(ms_synced):.0f} ms, max {max(ms_synced):.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
