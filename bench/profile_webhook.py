"""Where one webhook request's CPU goes (issue 5: p99 < 50 ms at 200 req/s).

Posts N distinct signed campaign answers (30% detractors, as bench/campaign.py
sends) through the Flask test client, so no HTTP server or socket is in the
figure: first untimed warm-up, then N requests timed with ``time.process_time``
(CPU per request, no profiler), then N more under cProfile, printed as the
share of each step of the request and the top functions by own time.

Usage: ``.venv/bin/python bench/profile_webhook.py [--requests 2000] [--database sqlite|postgres] [--detractors 0.3]``
(``PROFILE_CALLERS='isinstance|hostname'``: also who calls the functions matching that pattern)
(the profile is of CPU time; ``bench/intake_floor.py`` compares a gunicorn process with the floor of its stack)
(``RECOVERY_SQLITE_SYNCHRONOUS=NORMAL`` for SQLite's faster, less durable commit: compare the wall figure)
"""
import argparse
import base64
import cProfile
import logging
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from campaign_load import build_campaign  # noqa: E402
from campaign_processes import Database  # noqa: E402

# (label, file suffix, function): cumulative time of each step, inclusive of what it calls;
# steps of the code before and after the latency work both, so one table compares them.
STEPS = (
    ("whole request (test client)", "flask/testing.py", "open"),
    ("  flask dispatch of the view", "flask/app.py", "full_dispatch_request"),
    ("    signature check", "inbound/standard_webhooks.py", "verify"),
    ("    JSON parse", "inbound/json_body.py", "parse_json"),
    ("    marshmallow validation", "inbound/schemas.py", "validate_answer"),
    ("    intake.accept (one transaction)", "cases/intake.py", "accept"),
    ("      rules.classify", "domain/rules.py", "classify"),
    ("      profile.classify_profile", "domain/profile.py", "classify_profile"),
    ("      routing.route", "domain/routing.py", "route"),
    ("      duplicate lookup", "cases/intake.py", "_existing"),
    ("      duplicate lookup (one column)", "cases/intake.py", "_seen_body"),
    ("      case and stages", "cases/intake.py", "_open_case"),
    ("      customer's cases query", "cases/intake.py", "_customer_cases"),
    ("      earlier scores query", "store/snapshots.py", "earlier_scores"),
    ("      enqueue (each job)", "jobs/queue.py", "enqueue"),
    ("      enqueue_fresh (all jobs at once)", "jobs/queue.py", "enqueue_fresh"),
    ("      write transaction (begin .. commit)", "store/write_units.py", "write_unit"),
    ("      prepared statements (one row)", "store/prepared.py", "execute"),
    ("      prepared statements (many rows)", "store/prepared.py", "execute_many"),
    ("      session.flush", "orm/session.py", "flush"),
    ("      session.commit", "orm/session.py", "commit"),
    ("    delivery log row (own commit)", "web/deliveries.py", "_record"),
    ("    delivery log row (in intake's commit)", "web/deliveries.py", "add"),
    ("  logging (Logger._log)", "logging/__init__.py", "_log"),
    ("  jsonify response", "flask/json/__init__.py", "jsonify"),
)


def make_app(url: str, secret: str):
    from connector.config import DEFAULTS
    from connector.runtime import build_runtime
    from connector.web.app import create_app

    config = dict(DEFAULTS, DATABASE_URL=url, WEBHOOK_SECRET=secret, ADMIN_TOKEN=secrets.token_urlsafe(24),
                  SQLITE_SYNCHRONOUS=os.environ.get("RECOVERY_SQLITE_SYNCHRONOUS", "FULL"),
                  TENANT_INTAKE_BURST=10**9)  # the limiter still runs (its cost counts), never refuses
    runtime = build_runtime(config, adapters=(None, None))
    return create_app(config, runtime=runtime)


def run(client, answers, secret) -> None:
    from tests.signing import signed_headers

    for answer in answers:
        headers = signed_headers(answer.body, secret=secret, msg_id=f"msg_{answer.response_id}")
        response = client.post("/webhooks/surveys/generic", data=answer.body, headers=headers)
        if response.status_code != 202:
            raise SystemExit(f"unexpected {response.status_code}: {response.get_data(as_text=True)[:200]}")


def step_table(profile: cProfile.Profile, count: int) -> list[tuple[str, float, float]]:
    stats = pstats.Stats(profile).stats
    rows = []
    for label, suffix, name in STEPS:
        # Several functions may share a name (Session.commit, SessionTransaction.commit): the
        # outermost one, the largest cumulative time, is the step.
        found = [(v[3], v[1]) for (path, _, func), v in stats.items() if func == name and path.endswith(suffix)]
        if found:
            cumulative, calls = max(found)
            rows.append((label, cumulative * 1000 / count, calls / count))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--detractors", type=float, default=0.3, help="share of detractors (0-1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=open("/dev/null", "w"))  # log records made, as in serve
    database = Database(args.database)
    try:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        app = make_app(database.create(), secret)
        client = app.test_client()
        total = 200 + 2 * args.requests
        answers = build_campaign(total, args.detractors, 5, secrets.token_hex(3))
        run(client, answers[:200], secret)
        timed = answers[200:200 + args.requests]
        cpu, wall = time.process_time(), time.perf_counter()
        run(client, timed, secret)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{args.database}: {args.requests} requests, CPU {cpu * 1000 / args.requests:.2f} ms/request, "
              f"wall {wall * 1000 / args.requests:.2f} ms/request (no profiler)")
        # CPU time, not wall: the WAL fsync waits on the disk and would swamp every other step.
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        run(client, answers[200 + args.requests:], secret)
        profile.disable()
        print("\nunder cProfile, CPU time (inflated by the profiler; compare shares), ms per request, calls per request:")
        for label, ms, calls in step_table(profile, args.requests):
            print(f"  {label:<40} {ms:7.2f}  x{calls:.1f}")
        print()
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.top)
        if os.environ.get("PROFILE_CALLERS"):
            stats.print_callers(os.environ["PROFILE_CALLERS"])
        app.extensions["recovery"].engine.dispose()
    finally:
        database.drop()


if __name__ == "__main__":
    main()
