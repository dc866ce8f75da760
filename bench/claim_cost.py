"""What one claim costs with a tenant's backlog queued (issue 14, finding 5: claims take turns).

Queues ``--backlog`` due jobs of one tenant and one of another, then claims one job at a time
(``queue.claim_group``, group size 1) ``--claims`` times; prints the median and p90 per claim on
SQLite (a file in a temporary folder) and, when reachable, PostgreSQL (a throw-away database on
``RECOVERY_TEST_PG_URL``, default 127.0.0.1:5432). Run it from another checkout
(``PYTHONPATH=that/checkout``) to compare with that code.
Usage: ``.venv/bin/python bench/claim_cost.py [--backlog 1500 10000] [--claims 400]``.
"""
import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.jobs import queue  # noqa: E402
from connector.store.db import transaction  # noqa: E402
from tests.conftest import PG_ADMIN_URL, make_config, make_runtime  # noqa: E402

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def measure(url: str, backlog: int, claims: int) -> str:
    rt = make_runtime(make_config(url))
    try:
        with transaction(rt.sessions) as session:
            queue.enqueue_many(session, [("zendesk.sync_case", i, f"zendesk.sync_case:{i}") for i in range(backlog)],
                               tenant_id="flood")
            session.execute(text("UPDATE jobs SET run_at = :t"), {"t": T0 - timedelta(seconds=10)})
            queue.enqueue(session, "zendesk.sync_case", 10**7, tenant_id="quiet", run_at=T0)
        times = []
        for _ in range(claims):
            started = time.perf_counter()
            queue.claim_group(rt.sessions, "bench", T0, 60, 5, 1)
            times.append(time.perf_counter() - started)
    finally:
        rt.engine.dispose()
    times.sort()
    return f"median {times[len(times) // 2] * 1000:.2f} ms, p90 {times[len(times) * 9 // 10] * 1000:.2f} ms"


def on_postgres(backlog: int, claims: int) -> str:
    admin, name = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT"), f"claim_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return measure(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", backlog, claims)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, nargs="+", default=[1500, 10000])
    parser.add_argument("--claims", type=int, default=400)
    args = parser.parse_args()
    for backlog in args.backlog:
        print(f"sqlite     backlog {backlog}: {measure(f'sqlite:///{tempfile.mkdtemp()}/claims.db', backlog, args.claims)}")
        try:
            print(f"postgresql backlog {backlog}: {on_postgres(backlog, args.claims)}")
        except Exception as exc:  # no server: the SQLite figure alone
            print(f"postgresql backlog {backlog}: not measured ({type(exc).__name__})")


if __name__ == "__main__":
    main()
