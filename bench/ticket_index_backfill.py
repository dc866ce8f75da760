"""Issue 16 figure: how long the ticket-history index takes to backfill an account.

The real connector (SQLite, one worker thread, zenpy's session) against the Zendesk stand-in
serving the cursor-based incremental export with Zendesk's rules: 1,000 tickets a page, its own
limit of 10 requests a minute (429 + Retry-After past it). Every seeded ticket changed within the
export's window (the worst case: the backfill reads only tickets changed in the last 91 days).
Usage: `.venv/bin/python bench/ticket_index_backfill.py [--tickets 10000] [--export-limit 10]`
(`--export-limit 30`: the High Volume add-on; the connector's own pace follows the same figure).
"""
import argparse
import logging
import math
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.config import DEFAULTS  # noqa: E402
from connector.jobs.worker import start_threads  # noqa: E402
from connector.runtime import build_runtime  # noqa: E402
from connector.sandbox.server import BackgroundServer  # noqa: E402
from connector.sandbox.zendesk import create_zendesk_standin  # noqa: E402
from connector.store import ticket_index  # noqa: E402
from connector.store.db import reading  # noqa: E402

PATH = "/api/v2/incremental/tickets/cursor.json"


def seed(state, count: int) -> None:
    """``count`` tickets from count/3 customers, all changed within the export's window (users made
    once: the stand-in's look-up by e-mail is a scan)."""
    now = datetime.now(timezone.utc)
    users = [state.add_user(None, f"customer{n}@example.com")["id"] for n in range(count // 3 + 1)]
    for n in range(count):
        ticket, _ = state.create_ticket({"subject": "Earlier request", "comment": {"body": "Help."},
                                         "requester_id": users[n % len(users)]}, author_id=users[n % len(users)])
        stamp = (now - timedelta(days=89) + timedelta(seconds=n * 60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ticket["created_at"] = ticket["updated_at"] = stamp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--export-limit", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    standin = create_zendesk_standin(email="agent@bench.example", api_token="bench-token",
                                     export_limit_per_minute=args.export_limit)
    state = standin.extensions["zendesk_standin"]
    started = time.perf_counter()
    seed(state, args.tickets)
    print(f"seeded {args.tickets} tickets in {time.perf_counter() - started:.1f} s")
    server = BackgroundServer(standin).start()
    folder = tempfile.mkdtemp()
    config = dict(DEFAULTS, DATABASE_URL=f"sqlite:///{folder}/bench.db", WORKER_POLL_SECONDS=0.2,
                  ZENDESK_SUBDOMAIN="bench", ZENDESK_EMAIL="agent@bench.example", ZENDESK_API_TOKEN="bench-token",
                  ZENDESK_BASE_URL=server.url, ZENDESK_EXPORT_CALLS_PER_MINUTE=args.export_limit)
    rt = build_runtime(config)
    stop = threading.Event()
    started = time.perf_counter()
    start_threads(rt, 1, stop)

    def backfilled() -> bool:
        with reading(rt.sessions) as session:
            return ticket_index.is_backfilled(session, "default")

    while not backfilled():
        time.sleep(0.5)  # a benchmark's progress poll, not a test wait
    elapsed = time.perf_counter() - started
    stop.set()
    rt.wake.set()
    calls = [c for c in state.calls.all() if c.path == PATH]
    with reading(rt.sessions) as session:
        indexed = session.execute(ticket_index.select(ticket_index.func.count())
                                  .select_from(ticket_index.IndexedTicket)).scalar()
    pages = math.ceil(args.tickets / 1000)
    print(f"backfilled {indexed} tickets in {elapsed:.1f} s: {len([c for c in calls if c.status == 200])} pages, "
          f"{len([c for c in calls if c.status == 429])} answered 429 "
          f"(expected pages {pages}; Zendesk's limit alone allows them in about "
          f"{max(0, pages - args.export_limit) / args.export_limit:.1f} min)")
    server.stop()


if __name__ == "__main__":
    main()
