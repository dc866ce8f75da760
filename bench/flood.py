"""Issue 14: a flood of unauthenticated requests beside real webhooks.

Runs ``gunicorn -w 2`` on SQLite (web only, no worker: the figure is the web path's), then
1. quiet: real signed answers, one at a time, latency of each;
2. flood: the same while threads send ``--flood`` unauthenticated requests as fast as the
   server takes them (forged signatures, unknown vendors, unknown tenants, unsigned CRM events);
and prints both p50/p99, and the delivery log's row count before and after the flood (it must
grow by the real answers only). Usage: ``.venv/bin/python bench/flood.py [--flood 5000]``.
"""
import argparse
import http.client
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.deployment import HOST, free_port, wait_healthy  # noqa: E402
from tests.signing import SECRET, answer_payload, signed_headers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def real_answers(port: int, prefix: str, until, minimum: int) -> list[float]:
    """Signed answers one after another (until ``until()`` and at least ``minimum``): seconds each."""
    connection, latencies, i = http.client.HTTPConnection(HOST, port), [], 0
    while i < minimum or not until():
        body = json.dumps(answer_payload(response_id=f"{prefix}-{i}", score=9, customer={
            "email": f"{prefix}{i}@example.com"}, submitted_at=datetime.now(timezone.utc).isoformat())).encode()
        headers = signed_headers(body, msg_id=f"{prefix}-{i}")
        started = time.perf_counter()
        connection.request("POST", "/webhooks/surveys/generic", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        assert response.status == 202, response.status
        i += 1
        time.sleep(0.01)  # ~ 80-90 answers a second: a steady trickle, not a second flood
    return latencies


def flood(port: int, count: int, seed: int, interval: float) -> None:
    """``count`` refused requests, one every ``interval`` s (0: as fast as the server answers)."""
    connection, start = http.client.HTTPConnection(HOST, port), time.perf_counter()
    body = json.dumps(answer_payload()).encode()
    forged = {**signed_headers(body, msg_id="x"), "webhook-signature": "v1,Zm9yZ2Vk"}
    for i in range(count):
        path, headers = [
            ("/webhooks/surveys/generic", {**forged, "webhook-id": f"attacker-{seed}-{i}"}),
            (f"/webhooks/surveys/vendor-{seed}-{i}", {"Content-Type": "application/json"}),
            (f"/t/t_{seed}_{i}/webhooks/surveys/generic", forged),
            ("/webhooks/zendesk", {"Content-Type": "application/json"}),
        ][i % 4]
        if interval:
            time.sleep(max(0.0, start + i * interval - time.perf_counter()))
        connection.request("POST", path, body=body, headers=headers)
        connection.getresponse().read()


def rows(database: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM deliveries").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quiet", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0, help="flood requests/s in all (0: as fast as served)")
    args = parser.parse_args()
    folder, port = tempfile.mkdtemp(), free_port()
    database = f"{folder}/flood.db"
    env = {**os.environ, "RECOVERY_DATABASE_URL": f"sqlite:///{database}", "RECOVERY_WEBHOOK_SECRET": SECRET,
           "RECOVERY_ADMIN_TOKEN": "bench-admin-token", "RECOVERY_SANDBOX": "true"}
    log_path = Path(folder) / "server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"{HOST}:{port}",
                                   "connector.web.app:create_app()"], env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        wait_healthy(f"http://{HOST}:{port}", {"gunicorn": server}, 60, log_path)
        quiet = real_answers(port, "quiet", lambda: True, args.quiet)
        before = rows(database)
        threads = [threading.Thread(target=flood, args=(port, args.flood // args.threads, n,
                                                         args.threads / args.rate if args.rate else 0.0))
                   for n in range(args.threads)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        during = real_answers(port, "flood", lambda: not any(t.is_alive() for t in threads), 50)
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        after = rows(database)
    finally:
        server.terminate()
        server.wait(15)
    ms = lambda values, q: f"{percentile(values, q) * 1000:.1f}"  # noqa: E731
    print(f"quiet : {len(quiet)} answers, p50 {ms(quiet, 50)} ms, p99 {ms(quiet, 99)} ms, "
          f"mean {statistics.mean(quiet) * 1000:.1f} ms")
    print(f"flood : {args.flood} unauthenticated requests in {elapsed:.1f} s ({args.flood / elapsed:.0f}/s); "
          f"{len(during)} answers meanwhile, p50 {ms(during, 50)} ms, p99 {ms(during, 99)} ms")
    print(f"delivery log: {before} rows before the flood, {after} after; the answers sent meanwhile: "
          f"{len(during)}; rows the flood added: {after - before - len(during)}")
    print(f"p99 during / quiet: {percentile(during, 99) / percentile(quiet, 99):.2f}")


if __name__ == "__main__":
    main()
