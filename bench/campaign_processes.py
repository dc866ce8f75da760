"""The campaign's processes: the stand-ins (a spawned process the benchmark questions over a
pipe), the database (a SQLite temp folder or a fresh PostgreSQL database) and the connector
(``python -m connector serve``); each is stopped or removed by its owner, whatever happens."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from campaign_verify import standin_records
from deployment import HOST, ROOT, die_with_parent, free_port, wait_healthy

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
_ID = re.compile(r"/\d+")


def _standins_main(conn, hubspot_limit: int, zendesk_limit: int) -> None:
    """Child process: start both stand-ins, then answer the parent's questions over `conn`."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from connector.config import DEFAULTS
    from connector.sandbox.launch import start_sandbox

    config = dict(DEFAULTS, SANDBOX_HUBSPOT_RATE_PER_10S=hubspot_limit,
                  SANDBOX_ZENDESK_RATE_PER_MINUTE=zendesk_limit)
    servers = start_sandbox(config)
    seen = {v: {"first": None, "last_ok": None, "per_second": Counter()} for v in servers}
    lock = threading.Lock()

    def watch(vendor):
        def after(response):
            now = time.time()
            with lock:
                mark = seen[vendor]
                mark["first"] = mark["first"] or now
                if response.status_code < 400:
                    mark["last_ok"] = now
                    mark["per_second"][int(now)] += 1
            return response
        return after

    for vendor, server in servers.items():  # no request served yet: hooks may still be added
        server.app.after_request(watch(vendor))
    zendesk = servers["zendesk"].app.extensions["zendesk_standin"]
    hubspot = servers["hubspot"].app.extensions["hubspot_standin"]
    conn.send({key: config[key] for key in ("ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN",
                                            "ZENDESK_BASE_URL", "HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL")})

    def progress():
        with zendesk.lock:
            tickets = len(zendesk.tickets)
        with hubspot.lock:
            contacts, tasks, notes = len(hubspot.contacts), len(hubspot.tasks), len(hubspot.notes)
        calls = {"zendesk": zendesk.calls.all(), "hubspot": hubspot.calls.all()}
        return {"tickets": tickets, "contacts": contacts, "tasks": tasks, "notes": notes,
                "calls": {v: len(c) for v, c in calls.items()},
                "429": {v: sum(1 for x in c if x.status == 429) for v, c in calls.items()}}

    def summary():
        records = standin_records(zendesk, hubspot)
        calls = {}
        for vendor, state in (("zendesk", zendesk), ("hubspot", hubspot)):
            calls[vendor] = Counter((c.method, _ID.sub("/{id}", c.path), c.status) for c in state.calls.all())
        with lock:
            marks = {v: {"first": m["first"], "last_ok": m["last_ok"],
                         "per_second": dict(m["per_second"])} for v, m in seen.items()}
        return {"tickets": dict(records["tickets"]), "contacts": records["contacts"], "tasks": dict(records["tasks"]),
                "notes": dict(records["notes"]), "calls": {v: dict(c) for v, c in calls.items()}, "marks": marks}

    while True:
        try:
            command = conn.recv()
        except EOFError:
            break
        if command == "stop":
            break
        conn.send(progress() if command == "progress" else summary())
    for server in servers.values():
        with contextlib.suppress(Exception):
            server.stop()


class Standins:
    def __init__(self, hubspot_limit: int, zendesk_limit: int):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_standins_main, args=(child, hubspot_limit, zendesk_limit),
                                       name="bench-standins", daemon=True)
        self.lock = threading.Lock()

    def start(self) -> dict:
        self.process.start()
        if not self.conn.poll(60):
            raise RuntimeError("the stand-ins did not start within 60 s")
        return self.conn.recv()

    def ask(self, command: str, timeout: float = 60):
        with self.lock:
            self.conn.send(command)
            if not self.conn.poll(timeout):
                raise RuntimeError(f"the stand-ins did not answer {command!r} within {timeout} s")
            return self.conn.recv()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send("stop")
        self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


# -- the database -------------------------------------------------------------------------
class Database:
    def __init__(self, kind: str):
        self.kind = kind
        self.url = None
        self._folder = None
        self._name = None

    def create(self) -> str:
        if self.kind == "sqlite":
            self._folder = tempfile.mkdtemp(prefix="recovery-bench-")
            self.url = f"sqlite:///{self._folder}/bench.db"
        else:
            import psycopg

            self._name = f"recovery_bench_{secrets.token_hex(4)}"
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{self._name}"')
            self.url = POSTGRES_URL.format(name=self._name)
        return self.url

    def job_stats(self) -> dict:
        """Counts straight from the store, read once the connector has stopped."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT kind, status, COUNT(*), COALESCE(SUM(attempts), 0) FROM jobs GROUP BY kind, status"))
                jobs = [{"kind": k, "status": s, "count": c, "attempts": a} for k, s, c, a in rows]
                counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                          for t in ("answers", "cases", "side_effects")}
            # attempts: 429s are not counted as attempts (Retry-After is backpressure), see the log
            # counts for every failed try.
            return {"jobs": jobs, "rows": counts}
        finally:
            engine.dispose()

    def drop(self) -> None:
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        if self._name:
            import psycopg

            with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
            self._name = None


# -- the connector, in its own process ---------------------------------------------------
class Connector:
    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = None
        self._log = None

    def start(self, timeout: float = 60) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
        env.update(self.env)
        # CAMPAIGN_RECOVERY_X=v sets the connector's RECOVERY_X for a run (a setting to compare).
        env.update({k.removeprefix("CAMPAIGN_"): v for k, v in os.environ.items() if k.startswith("CAMPAIGN_RECOVERY_")})
        env["PYTHONUNBUFFERED"] = "1"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connector", "serve", "--host", HOST, "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the benchmark only; it stops this cleanly
            preexec_fn=die_with_parent)
        wait_healthy(self.url, {"the connector": self.process}, timeout, self.log_path)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log:
            self._log.close()
        return self.process.returncode
