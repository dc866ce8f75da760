"""Issue 5 benchmark: a survey campaign at the vendors' rate limits.

Sends a campaign of signed answers (default 5,000, 30% detractors) to the
connector at a fixed arrival rate (open loop, default 200 requests/s) while the
sandbox stand-ins enforce HubSpot's 100 calls / 10 s and Zendesk's 700 calls /
min, then waits until everything is synced and reports:

- webhook answer latency p50/p95/p99/max, measured from each request's
  *scheduled* send time (no coordinated omission), and the achieved rate;
- time from the first send until everything is synced, against the minimum the
  rate limits allow for the calls this build makes (formula printed);
- API calls per detractor and per answer, 429s and their share;
- peak RSS of the connector process (VmHWM), dead jobs, duplicates
  (tickets per case, contacts per email, tasks per case must be 1/1/8).

Processes (2-core machine in mind):
- the connector runs in its own process, ``python -m connector serve`` (web app
  plus in-process worker threads, the embedded default), so the load generator
  never shares its GIL;
- the stand-ins run in a third process (multiprocessing, spawn): they are the
  remote vendors, and keeping them out of the load generator's GIL keeps the
  scheduled-send clock honest; the benchmark reads their state over a pipe;
- the benchmark process only generates load and polls;
- ``--web-processes N`` instead runs the several-machine layout: gunicorn with N web
  processes and a separate ``recovery worker`` process (see bench/deployment.py); the report
  then gives the web processes' CPU per request and how busy every party, and the rest
  of the machine, was during the send phase.

Everything listens on 127.0.0.1. The run is bounded (send phase, sync timeout,
stall detection), and the connector, the stand-ins and the database (SQLite
temp folder or a fresh PostgreSQL database) are removed on exit, Ctrl-C or
error.

Usage::

    .venv/bin/python bench/campaign.py [--answers 5000] [--detractor-share 0.3] [--rate 200]
                                       [--workers 2] [--database sqlite|postgres] [--web-processes N]
                                       [--modes batched,naive]

By default the campaign runs twice in the same run (issue 5 item 4): ``batched``
(BATCH_LIMIT=100, batching across answers) and ``naive`` (BATCH_LIMIT=1, one API call
per object), each against fresh stand-ins and a fresh database, and a comparison table
puts them side by side at the end. ``--modes batched`` runs one of them.

Also: ``--reference`` first runs the same campaign with the stand-ins unlimited,
to count the calls a 429-free sync makes (a second floor); ``--reference-only``
runs just that; ``--workers 0`` measures the webhook (intake) path alone and
skips the sync. Exit code 1 when an answer is lost, a webhook answers other
than 202, a job is dead or the 1/1/8 check fails (missed speed targets do not
fail the run; they are printed beside each figure).

Results: a table on stdout and ``bench/results/campaign-<time>-<mode>.json``
(the connector's log beside it).
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import itertools
import json
import math
import multiprocessing
import os
import random
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from connector.ports.keys import (NOTE_REFERENCE_PATTERN, TASK_KEY_PATTERN, external_id_pattern,  # noqa: E402
                                  ticket_external_id)

from deployment import (connector_usage, cpu_during, cpu_snapshot, cpu_text, deployment_text,  # noqa: E402
                        die_with_parent, free_port, make_connector, slowest, wait_healthy)

RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

# Vendors' published limits (issue 5): HubSpot 100 calls / 10 s, Zendesk 700 calls / min.
HUBSPOT_LIMIT, HUBSPOT_WINDOW = 100, 10.0
ZENDESK_LIMIT, ZENDESK_WINDOW = 700, 60.0


# -- modes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mode:
    """One connector configuration to measure: extra RECOVERY_* environment for it."""

    description: str
    env: dict = field(default_factory=dict)


# The connector's two configurations for issue 5 (item 4 asks for both in the same run):
# batching across answers (the default, BATCH_LIMIT=100) and the naive approach, one API
# call per object (BATCH_LIMIT=1: one job per claim, one input per vendor call).
MODES = {
    "batched": Mode("batching across answers (the default): due jobs of one kind and tenant claimed together, "
                    "up to 100 inputs per vendor call (HubSpot batch upsert/create/update, Zendesk create_many)",
                    {"RECOVERY_BATCH_LIMIT": "100"}),
    "naive": Mode("one API call per object (RECOVERY_BATCH_LIMIT=1): one upsert per contact, one call per "
                  "task, note and ticket", {"RECOVERY_BATCH_LIMIT": "1"}),
}
BATCHING_NOTE = ("Both configurations run in turn against fresh stand-ins and a fresh database; "
                 "the comparison table at the end puts them side by side.")


# -- small helpers ----------------------------------------------------------------------
def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def window_floor(calls: int, limit: int, window: float) -> float:
    """Least time a sliding window of `limit` per `window` s lets `calls` calls through."""
    return max(math.ceil(calls / limit) - 1, 0) * window if calls else 0.0


# -- the stand-ins, in their own process ------------------------------------------------
_ID = re.compile(r"/\d+")
_TASK_KEY, _NOTE_KEY = TASK_KEY_PATTERN, NOTE_REFERENCE_PATTERN
_EXTERNAL = external_id_pattern(followups=False)


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
        with zendesk.lock:
            tickets = Counter(t["external_id"] for t in zendesk.tickets.values())
        with hubspot.lock:
            contacts = {}
            for record in hubspot.contacts.values():
                props = record["properties"]
                contacts.setdefault((props.get("email") or "").lower(), []).append({
                    k: props.get(k) for k in ("nps_last_score", "recovery_incident_open",
                                              "recovery_zendesk_ticket_url")})
            tasks = Counter()
            for record in hubspot.tasks.values():
                for case_id, stage in set(_TASK_KEY.findall(record["properties"].get("hs_task_body") or "")):
                    tasks[(int(case_id), stage)] += 1
            notes = Counter(int(m) for r in hubspot.notes.values()
                            for m in set(_NOTE_KEY.findall(r["properties"].get("hs_note_body") or "")))
        calls = {}
        for vendor, state in (("zendesk", zendesk), ("hubspot", hubspot)):
            calls[vendor] = Counter((c.method, _ID.sub("/{id}", c.path), c.status) for c in state.calls.all())
        with lock:
            marks = {v: {"first": m["first"], "last_ok": m["last_ok"],
                         "per_second": dict(m["per_second"])} for v, m in seen.items()}
        return {"tickets": dict(tickets), "contacts": contacts, "tasks": dict(tasks), "notes": dict(notes),
                "calls": {v: dict(c) for v, c in calls.items()}, "marks": marks}

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


# -- the campaign --------------------------------------------------------------------------
COMMENTS = {
    ("disappointed", "en"): ["Usually great service, but this time the delivery was two weeks late.",
                             "I have always been happy, but this time support never called back.",
                             "Normally fine, but this time the invoice was wrong twice."],
    ("disappointed", "fr"): ["D'habitude tout va bien, mais cette fois la livraison a eu deux semaines de retard.",
                             "Habituellement parfait, mais cette fois personne ne m'a rappelé."],
    ("chronic", "en"): ["Again the same outage, every time we call it is still not fixed.",
                        "The export is still broken, always the same answer from support."],
    ("chronic", "fr"): ["Encore une panne, toujours le même problème chaque fois.",
                        "Toujours les mêmes bugs, encore une fois rien n'a changé."],
    ("structural", "en"): ["We need SSO and audit logs which you don't have, switching to an enterprise-grade tool.",
                           "Switching to a competitor: we need multi-entity accounting which you don't have."],
    ("structural", "fr"): ["Nous passons à une solution enterprise-grade, il nous faut le SSO que vous n'avez pas."],
    ("happy", "en"): ["Great product, quick support.", "Works well for us.", None],
    ("happy", "fr"): ["Très bon service, merci.", "Rien à signaler.", None],
}
FIRST = ["Marie", "Jean", "Alice", "Omar", "Chen", "Lucia", "Tom", "Aisha", "Pierre", "Sofia", "Ivan", "Nora"]
LAST = ["Dubois", "Martin", "Smith", "Haddad", "Wang", "Rossi", "Brown", "Khan", "Durand", "Silva"]


@dataclass
class Answer:
    index: int
    response_id: str
    email: str
    score: int
    detractor: bool
    body: bytes


def build_campaign(count: int, share: float, seed: int, tag: str) -> list[Answer]:
    """`count` answers, exactly round(count * share) of them detractors, varied customers."""
    rng = random.Random(seed)
    detractors = round(count * share)
    kinds = [True] * detractors + [False] * (count - detractors)
    rng.shuffle(kinds)
    submitted = (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    campaign = []
    for index, detractor in enumerate(kinds):
        csat = rng.random() < 0.15
        if detractor:
            score = rng.choice((1, 2)) if csat else rng.randint(0, 6)
            flavour = rng.choices(("disappointed", "chronic", "structural"), (60, 25, 15))[0]
        else:
            score = rng.choice((3, 4, 5)) if csat else rng.randint(7, 10)
            flavour = "happy"
        locale = "fr" if rng.random() < 0.4 else "en"
        value = rng.choices((rng.randint(500, 9_999), rng.randint(10_000, 30_000), rng.randint(30_001, 120_000)),
                            (60, 30, 10))[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{tag}.{index:05d}@example.com".lower()
        payload = {
            "response_id": f"bench-{tag}-{index:05d}",
            "submitted_at": submitted,
            "survey": ({"id": "support-csat", "type": "csat", "name": "Support CSAT", "kind": "transactional"}
                       if csat else {"id": "q4-nps", "type": "nps", "name": "Q4 NPS", "kind": "relational"}),
            "score": score,
            "comment": rng.choice(COMMENTS[(flavour, locale)]),
            "locale": locale,
            "customer": {"email": email, "name": f"{first} {last}", "company": f"Company {index % 97}",
                         "lifetime_value": value, "vip": False},
        }
        if detractor and rng.random() < 0.3:
            payload["context"] = {"agent_email": "junior.agent@example.com"}
        campaign.append(Answer(index, payload["response_id"], email, score, detractor,
                               json.dumps(payload).encode()))
    return campaign


@dataclass
class Sent:
    scheduled: float
    started: float
    finished: float
    status: int | str
    case_id: int | None


def send_campaign(url: str, campaign: list[Answer], rate: float, senders: int, secret: str,
                  stop: threading.Event) -> tuple[list[Sent | None], float, float]:
    """Open loop: answer i is due at t0 + i/rate whatever happened before; latency counts from then.

    The requests are signed before the clock starts and sent over plain keep-alive
    ``http.client`` connections: the load generator shares the machine with what it measures,
    and ``requests`` plus signing cost it ~1.5 ms of CPU per answer, a third of a core at 200/s.
    """
    from tests.signing import signed_headers  # the reference standardwebhooks signer

    target = urlsplit(url)
    prepared = [(answer.body, {**signed_headers(answer.body, secret=secret, msg_id=f"msg_{answer.response_id}"),
                               "Content-Type": "application/json"}) for answer in campaign]
    results: list[Sent | None] = [None] * len(campaign)
    counter, lock = itertools.count(), threading.Lock()
    t0 = time.perf_counter() + 0.5
    wall0 = time.time() + (t0 - time.perf_counter())

    def sender():
        connection = None
        while not stop.is_set():
            with lock:
                index = next(counter)
            if index >= len(campaign):
                break
            scheduled = t0 + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body, headers = prepared[index]
            started = time.perf_counter()
            case_id = None
            try:
                connection = connection or http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                connection.request("POST", "/webhooks/surveys/generic", body=body, headers=headers)
                response = connection.getresponse()
                payload, status = response.read(), response.status
                if status in (200, 202):
                    case_id = json.loads(payload).get("case_id")
            except (OSError, http.client.HTTPException) as exc:
                status = f"error:{type(exc).__name__}"
                if connection is not None:
                    connection.close()
                connection = None
            results[index] = Sent(scheduled, started, time.perf_counter(), status, case_id)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=sender, name=f"sender-{i}", daemon=True) for i in range(senders)]
    for thread in threads:
        thread.start()
    bound = time.monotonic() + len(campaign) / rate + 120  # the send phase cannot run away
    for thread in threads:
        while thread.is_alive() and time.monotonic() < bound and not stop.is_set():
            thread.join(0.2)
    stop.set()
    return results, t0, wall0


# -- one measured run ----------------------------------------------------------------------
def admin_get(session, url, token, path):
    response = session.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def wait_synced(connector: Connector, standins: Standins, token: str, timeout: float, stall: float,
                started_wall: float) -> dict:
    """Poll the admin API's job queue until nothing is queued or running (bounded)."""
    session = requests.Session()
    deadline = time.monotonic() + timeout
    last_change, last_seen, last_print = time.monotonic(), None, 0.0
    while True:
        queued = len(admin_get(session, connector.url, token, "/api/jobs?status=queued")["jobs"])
        running = len(admin_get(session, connector.url, token, "/api/jobs?status=running")["jobs"])
        progress = standins.ask("progress")
        now = time.monotonic()
        seen = (queued, running, progress["calls"]["zendesk"], progress["calls"]["hubspot"])
        if seen != last_seen:
            last_seen, last_change = seen, now
        if now - last_print >= 15:
            last_print = now
            print(f"  t+{time.time() - started_wall:6.0f}s  jobs queued {queued if queued < 500 else '500+'} "
                  f"running {running} | tickets {progress['tickets']} contacts {progress['contacts']} "
                  f"tasks {progress['tasks']} notes {progress['notes']} | calls Z {progress['calls']['zendesk']} "
                  f"H {progress['calls']['hubspot']} (429: Z {progress['429']['zendesk']} "
                  f"H {progress['429']['hubspot']})", flush=True)
        if queued == 0 and running == 0:
            return {"outcome": "synced", "detected_wall": time.time()}
        if connector.process.poll() is not None:
            return {"outcome": f"connector exited ({connector.process.returncode})", "detected_wall": None}
        if now > deadline:
            return {"outcome": f"timeout after {timeout:.0f} s", "detected_wall": None}
        if now - last_change > stall:
            return {"outcome": f"stalled: no change for {stall:.0f} s", "detected_wall": None}
        time.sleep(0.5)


def check_cases(connector: Connector, token: str, case_ids: list[int]) -> dict:
    """GET /api/cases/<id> for every case: sync_status counts."""
    statuses = Counter()
    local = threading.local()

    def one(case_id):
        local.session = getattr(local, "session", None) or requests.Session()
        try:
            return admin_get(local.session, connector.url, token, f"/api/cases/{case_id}")["sync_status"]
        except requests.RequestException as exc:
            return f"error:{type(exc).__name__}"

    with ThreadPoolExecutor(4) as pool:
        for status in pool.map(one, case_ids):
            statuses[status] += 1
    return dict(statuses)


def verify_standins(summary: dict, campaign: list[Answer], case_of: dict[int, int]) -> dict:
    """Duplicates and completeness, read from the stand-ins' own state."""
    from connector.domain.react import STAGE_KEYS

    case_ids = set(case_of.values())
    tickets = summary["tickets"]
    per_case_tickets = Counter(tickets.get(ticket_external_id(c), 0) for c in case_ids)
    stray_tickets = sum(n for ext, n in tickets.items()
                        if not (ext and _EXTERNAL.match(ext) and int(_EXTERNAL.match(ext)[1]) in case_ids))
    contacts = summary["contacts"]
    per_email = Counter(len(contacts.get(a.email, [])) for a in campaign)
    stray_contacts = sum(len(v) for e, v in contacts.items() if e not in {a.email for a in campaign})
    stale_score = sum(1 for a in campaign for c in contacts.get(a.email, [])
                      if c.get("nps_last_score") in (None, "") or float(c["nps_last_score"]) != a.score)
    detractor_emails = [a.email for a in campaign if a.index in case_of]
    flag_missing = sum(1 for e in detractor_emails
                       if not any(str(c.get("recovery_incident_open")).lower() == "true" for c in contacts.get(e, [])))
    url_missing = sum(1 for e in detractor_emails
                      if not any(c.get("recovery_zendesk_ticket_url") for c in contacts.get(e, [])))
    tasks = summary["tasks"]
    per_case_tasks = Counter(sum(tasks.get((c, k), 0) for k in STAGE_KEYS) for c in case_ids)
    per_stage = Counter(tasks.get((c, k), 0) for c in case_ids for k in STAGE_KEYS)
    notes = summary["notes"]
    per_case_notes = Counter(notes.get(c, 0) for c in case_ids)

    def hist(counter):
        return {str(k): v for k, v in sorted(counter.items())}

    ok = (set(per_case_tickets) <= {1} and set(per_email) <= {1} and set(per_case_tasks) <= {8}
          and set(per_stage) <= {1} and stray_tickets == 0 and stray_contacts == 0)
    return {"exactly_1_1_8": ok,
            "tickets_per_case": hist(per_case_tickets), "stray_tickets": stray_tickets,
            "contacts_per_email": hist(per_email), "stray_contacts": stray_contacts,
            "tasks_per_case": hist(per_case_tasks), "tasks_per_case_stage": hist(per_stage),
            "notes_per_case": hist(per_case_notes),
            "contacts_with_wrong_or_missing_score": stale_score,
            "detractor_contacts_without_incident_flag": flag_missing,
            "detractor_contacts_without_ticket_url": url_missing}


def call_stats(summary: dict, answers: int, detractors: int) -> dict:
    out = {}
    for vendor, calls in summary["calls"].items():
        total = sum(calls.values())
        limited = sum(n for (_, _, status), n in calls.items() if status == 429)
        errors = sum(n for (_, _, status), n in calls.items() if status >= 400 and status != 429)
        by_endpoint = Counter()
        for (method, path, status), n in calls.items():
            by_endpoint[f"{method} {path} {status}"] += n
        out[vendor] = {"total": total, "ok": total - limited - errors, "429": limited, "other_errors": errors,
                       "by_endpoint": dict(by_endpoint.most_common())}
    ok = out["zendesk"]["ok"] + out["hubspot"]["ok"]
    total = out["zendesk"]["total"] + out["hubspot"]["total"]
    limited = out["zendesk"]["429"] + out["hubspot"]["429"]
    per = (lambda n, d: round(n / d, 3) if d else None)
    out["per_detractor"] = {"all": per(ok, detractors), "zendesk": per(out["zendesk"]["ok"], detractors),
                            "hubspot": per(out["hubspot"]["ok"], detractors)}
    out["per_answer"] = {"all": per(ok, answers), "zendesk": per(out["zendesk"]["ok"], answers),
                         "hubspot": per(out["hubspot"]["ok"], answers)}
    out["429_total"] = limited
    out["429_share_of_calls"] = round(limited / total, 4) if total else 0.0
    out["per_detractor_note"] = ("calls answered 2xx/other (429s excluded) divided by detractors: amortised, "
                                 "so promoter/passive contact upserts are included in the HubSpot figure")
    return out


def rate_floor(calls: dict, hubspot_limit: int, zendesk_limit: int) -> dict:
    """Least time the vendors' limits allow for the non-429 calls in `calls`."""
    hubspot = calls["hubspot"]["ok"] + calls["hubspot"]["other_errors"]
    zendesk = calls["zendesk"]["ok"] + calls["zendesk"]["other_errors"]
    h = hubspot / (hubspot_limit / HUBSPOT_WINDOW)
    z = zendesk / (zendesk_limit / ZENDESK_WINDOW)
    return {
        "formula": (f"max(HubSpot calls / ({hubspot_limit} per {HUBSPOT_WINDOW:.0f} s), "
                    f"Zendesk calls / ({zendesk_limit} per {ZENDESK_WINDOW:.0f} s))"),
        "hubspot_calls": hubspot, "zendesk_calls": zendesk,
        "hubspot_per_s": hubspot_limit / HUBSPOT_WINDOW, "zendesk_per_s": round(zendesk_limit / ZENDESK_WINDOW, 2),
        "hubspot_seconds": round(h, 1), "zendesk_seconds": round(z, 1), "seconds": round(max(h, z), 1),
        "bound_by": "hubspot" if h >= z else "zendesk",
        # With a sliding window the first `limit` calls pass at once: the exact floor is one window lower.
        "window_exact_seconds": round(max(window_floor(hubspot, hubspot_limit, HUBSPOT_WINDOW),
                                          window_floor(zendesk, zendesk_limit, ZENDESK_WINDOW)), 1),
    }


def _ratio(measured, floor):
    return round(measured / floor, 2) if measured and floor else None


def run_mode(args, mode_name: str, mode: Mode, stamp: str, interrupted: threading.Event, *,
             limited: bool = True, needed_calls: dict | None = None) -> dict:
    """One campaign against one connector configuration.

    `limited=False` is the reference run: the stand-ins do not rate-limit, so the
    calls counted are the ones the build makes when nothing is retried.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = mode_name if limited else f"{mode_name}-reference"
    log_path = RESULTS / f"campaign-{stamp}-{label}.connector.log"
    tag = secrets.token_hex(3)
    campaign = build_campaign(args.answers, args.detractor_share, args.seed, tag)
    detractors = sum(a.detractor for a in campaign)
    hubspot_limit, zendesk_limit = (args.hubspot_limit, args.zendesk_limit) if limited else (None, None)
    result = {"mode": label, "mode_description": mode.description + ("" if limited else
              " -- REFERENCE RUN: stand-ins without rate limits, to count the calls a 429-free sync makes"),
              "batching_note": BATCHING_NOTE,
              "parameters": {"answers": args.answers, "detractors": detractors, "detractor_share": args.detractor_share,
                             "rate_per_s": args.rate, "senders": args.senders, "worker_threads": args.workers,
                             "database": args.database, "seed": args.seed, "deployment": deployment_text(args),
                             "hubspot_limit": f"{hubspot_limit} / {HUBSPOT_WINDOW:.0f} s" if limited else "none",
                             "zendesk_limit": f"{zendesk_limit} / {ZENDESK_WINDOW:.0f} s" if limited else "none",
                             "cpus": os.cpu_count()},
              "connector_log": str(log_path.relative_to(ROOT))}
    standins, database, connector = Standins(hubspot_limit, zendesk_limit), Database(args.database), None
    stop = threading.Event()
    watcher = threading.Thread(target=lambda: (interrupted.wait(), stop.set()), daemon=True)
    watcher.start()
    try:
        vendor = standins.start()
        url = database.create()
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        token = secrets.token_urlsafe(24)
        env = {f"RECOVERY_{k}": str(v) for k, v in vendor.items()}
        env.update(RECOVERY_DATABASE_URL=url, RECOVERY_WEBHOOK_SECRET=secret, RECOVERY_ADMIN_TOKEN=token,
                   RECOVERY_WORKER_THREADS=str(args.workers), RECOVERY_LOG_LEVEL=args.connector_log_level)
        env.update(mode.env)
        connector = make_connector(args, env, log_path, Connector)
        connector.start()
        print(f"[{label}] connector pid {connector.process.pid} on {connector.url}, {args.database}, "
              f"{deployment_text(args)}; sending {args.answers} answers ({detractors} detractors) "
              f"at {args.rate:g}/s", flush=True)

        cpu_before = cpu_snapshot(connector, standins.process.pid, url)
        sent, t0, wall0 = send_campaign(connector.url, campaign, args.rate, args.senders, secret, stop)
        cpu_after = cpu_snapshot(connector, standins.process.pid, url)
        if interrupted.is_set():
            raise KeyboardInterrupt
        done = [x for x in sent if x is not None]
        latency = [(x.finished - x.scheduled) * 1000 for x in done]
        service = [(x.finished - x.started) * 1000 for x in done]
        lag = [(x.started - x.scheduled) * 1000 for x in done]
        statuses = Counter(str(x.status) for x in done)
        statuses["not sent"] = len(sent) - len(done)
        last = max((x.finished for x in done), default=t0)

        def quantiles(values, names):
            return {q: round(percentile(values, p), 1) for q, p in names} if values else None

        result["webhook"] = {
            "offered_rate_per_s": args.rate,
            "achieved_rate_per_s": round(len(done) / (last - t0), 1) if last > t0 else None,
            "send_phase_seconds": round(last - t0, 2),
            "latency_ms_from_scheduled": quantiles(latency, (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))),
            "service_ms_from_actual_send": quantiles(service, (("p50", 50), ("p99", 99), ("max", 100))),
            "client_send_lag_ms": quantiles(lag, (("p99", 99), ("max", 100))),
            "statuses": {k: v for k, v in statuses.items() if v},
            "cpu_during_send": cpu_during(cpu_before, cpu_after, len(done)),
            "slowest_requests": slowest(sent, t0),
        }
        case_of = {a.index: x.case_id for a, x in zip(campaign, sent) if x is not None and x.case_id}
        result["webhook"]["answers_with_unexpected_case_presence"] = sum(
            1 for a, x in zip(campaign, sent) if x is not None and x.status in (200, 202) and bool(x.case_id) != a.detractor)
        print(f"[{label}] send phase done in {last - t0:.1f} s: {dict(statuses)}", flush=True)

        if args.workers > 0:
            print(f"[{label}] waiting for the sync (timeout {args.sync_timeout:.0f} s)", flush=True)
            waited = wait_synced(connector, standins, token, args.sync_timeout, args.stall_timeout, wall0)
            summary = standins.ask("summary", timeout=120)
            marks = summary["marks"]
            last_ok = max((m["last_ok"] for m in marks.values() if m["last_ok"]), default=None)
            calls = call_stats(summary, args.answers, detractors)
            synced = round(last_ok - wall0, 1) if waited["outcome"] == "synced" and last_ok else None
            result["sync"] = {
                "outcome": waited["outcome"],
                "seconds_first_send_to_last_vendor_call": synced,
                "seconds_first_send_to_queue_seen_empty": round(waited["detected_wall"] - wall0, 1)
                if waited["detected_wall"] else None,
                "vendor_ok_calls_per_s_during_sync": {
                    v: round(sum(m["per_second"].values()) / max(m["last_ok"] - wall0, 1e-9), 2)
                    for v, m in marks.items() if m["last_ok"]},
            }
            if limited:
                floor = rate_floor(calls, hubspot_limit, zendesk_limit)
                result["sync"]["rate_limit_minimum"] = floor
                result["sync"]["measured_over_minimum"] = _ratio(synced, floor["seconds"])
                result["sync"]["measured_over_window_exact_minimum"] = _ratio(synced, floor["window_exact_seconds"])
                # Nothing can be synced before it arrives: when the answers take longer to arrive
                # than the vendors' limits need, the arrival is the real floor. Reported beside,
                # never instead of, the vendors' minimum.
                arrived = round(last - t0, 1)
                result["sync"]["last_answer_accepted_at_seconds"] = arrived
                result["sync"]["measured_over_max_minimum_and_arrival"] = _ratio(synced, max(floor["seconds"], arrived))
                if needed_calls:
                    need = rate_floor(needed_calls, hubspot_limit, zendesk_limit)
                    result["sync"]["rate_limit_minimum_for_429_free_calls"] = need
                    result["sync"]["measured_over_429_free_minimum"] = _ratio(synced, need["seconds"])
            result["api_calls"] = calls
            case_ids = sorted(set(case_of.values()))
            result["cases"] = {"count": len(case_ids), "sync_status": check_cases(connector, token, case_ids)}
            result["duplicates_and_completeness"] = verify_standins(summary, campaign, case_of)
        else:
            result["sync"] = {"outcome": "skipped: --workers 0 measures the intake (webhook) path alone"}
        result["jobs_dead"] = len(admin_get(requests.Session(), connector.url, token, "/api/jobs?status=dead")["jobs"])
        memory = connector_usage(connector)
        result["connector_process"] = {"peak_rss_mib": round(memory.get("VmHWM", 0) / 1024, 1),
                                       "rss_at_end_mib": round(memory.get("VmRSS", 0) / 1024, 1),
                                       "cpu_seconds": memory.get("cpu_seconds"),
                                       "cpu_seconds_by_role": memory["cpu_by_role"], "processes": memory["processes"]}
        result["connector_process"]["exit_code"] = connector.stop()
        result["store"] = database.job_stats()
        result["answers_lost"] = sum(1 for x in sent if x is not None and x.status in (200, 202)) \
            - result["store"]["rows"]["answers"]
        result["connector_log_counts"] = log_counts(log_path)
        return result
    finally:
        stop.set()
        if connector is not None:
            connector.stop()  # idempotent
        standins.stop()
        with contextlib.suppress(Exception):
            database.drop()


def log_counts(path: Path) -> dict:
    levels, failures, samples = Counter(), Counter(), []
    with contextlib.suppress(OSError), open(path, errors="replace") as handle:
        for line in handle:
            parts = line.split(" ", 4)
            if len(parts) > 3 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
                levels[parts[2]] += 1
                match = re.search(r"(job failed job_id=\d+ kind=(\S+)|hubspot (.+?) failed: \S+ status=(\S+)"
                                  r"|zendesk.*?status=(\S+))", line)
                if match:
                    failures[re.sub(r"job_id=\d+ ", "", match.group(0))[:120]] += 1
                elif len(samples) < 5:
                    samples.append(line.strip()[:300])
            elif line.startswith("Traceback"):
                levels["traceback"] += 1
    return {"levels": dict(levels), "failures": dict(failures.most_common(12)), "other_samples": samples}


# -- report -------------------------------------------------------------------------------
def print_report(result: dict) -> None:
    p, w = result["parameters"], result.get("webhook") or {}
    s, c = result.get("sync") or {}, result.get("api_calls") or {}
    lat, svc = w.get("latency_ms_from_scheduled") or {}, w.get("service_ms_from_actual_send") or {}
    dup = result.get("duplicates_and_completeness") or {}
    proc, rows_ = result.get("connector_process") or {}, (result.get("store") or {}).get("rows") or {}

    def floor_lines(name, floor):
        return [(name, floor["formula"]),
                ("", f"= max({floor['hubspot_calls']} / {floor['hubspot_per_s']:g} per s = {floor['hubspot_seconds']} s, "
                     f"{floor['zendesk_calls']} / {floor['zendesk_per_s']:g} per s = {floor['zendesk_seconds']} s) "
                     f"= {floor['seconds']} s (sliding-window exact: {floor['window_exact_seconds']} s)")]

    rows = [
        ("mode", f"{result['mode']}: {result['mode_description']}"),
        ("campaign", f"{p['answers']} answers, {p['detractors']} detractors, {p['database']}, "
                     f"{p['worker_threads']} worker threads, limits HubSpot {p['hubspot_limit']}, "
                     f"Zendesk {p['zendesk_limit']}"),
        ("webhook latency (ms)", f"p50 {lat.get('p50')}  p95 {lat.get('p95')}  p99 {lat.get('p99')}  "
                                 f"max {lat.get('max')}  (from scheduled send; target p99 < 50)"),
        ("  service time (ms)", f"p50 {svc.get('p50')}  p99 {svc.get('p99')}  max {svc.get('max')} "
                                f"(from actual send)"),
        ("rate offered / achieved", f"{w.get('offered_rate_per_s')} / {w.get('achieved_rate_per_s')} per s"),
        ("deployment", p.get("deployment")),
        ("CPU during send", cpu_text(w.get("cpu_during_send"))),
        ("webhook answers", json.dumps(w.get("statuses"))),
        ("sync", f"{s.get('outcome')}" + (f": {s.get('seconds_first_send_to_last_vendor_call')} s from first send to "
                                          f"the last 2xx vendor call (queue seen empty at "
                                          f"{s.get('seconds_first_send_to_queue_seen_empty')} s)"
                                          if "seconds_first_send_to_last_vendor_call" in s else "")),
    ]
    if s.get("rate_limit_minimum"):
        rows += floor_lines("rate-limit minimum", s["rate_limit_minimum"])
        rows.append(("measured / minimum", f"{s.get('measured_over_minimum')}  (sliding-window exact: "
                                           f"{s.get('measured_over_window_exact_minimum')}; target <= 1.25)"))
        rows.append(("  / max(minimum, arrival)", f"{s.get('measured_over_max_minimum_and_arrival')}  (the last answer "
                                                  f"was accepted at {s.get('last_answer_accepted_at_seconds')} s)"))
    if s.get("rate_limit_minimum_for_429_free_calls"):
        rows += floor_lines("minimum, 429-free calls", s["rate_limit_minimum_for_429_free_calls"])
        rows.append(("measured / that minimum", f"{s.get('measured_over_429_free_minimum')}  (calls counted in "
                                                f"the reference run without rate limits)"))
    if s.get("vendor_ok_calls_per_s_during_sync"):
        rows.append(("vendor calls/s achieved", json.dumps(s.get("vendor_ok_calls_per_s_during_sync"))))
    if c:
        rows += [
            ("API calls per detractor", json.dumps(c.get("per_detractor")) + "  (target <= 1.2 amortised)"),
            ("API calls per answer", json.dumps(c.get("per_answer"))),
            ("calls ok/429/other err", "; ".join(f"{v} {c[v]['ok']}/{c[v]['429']}/{c[v]['other_errors']}"
                                                 for v in ("zendesk", "hubspot"))),
            ("429 share of calls", f"{c.get('429_share_of_calls', 0) * 100:.2f}%  (target < 1%)"),
        ]
    rows += [
        ("peak RSS connector", f"{proc.get('peak_rss_mib')} MiB (VmHWM); CPU {proc.get('cpu_seconds')} s"),
        ("cases sync_status", json.dumps((result.get("cases") or {}).get("sync_status"))),
        ("jobs dead at end", str(result.get("jobs_dead"))),
        ("stored answers / cases", f"{rows_.get('answers')} / {rows_.get('cases')} "
                                   f"(answers lost: {result.get('answers_lost')})"),
        ("failed job tries (log)", str(sum(v for k, v in ((result.get("connector_log_counts") or {})
                                                          .get("failures") or {}).items()
                                           if k.startswith("job failed")))),
    ]
    if dup:
        rows.append(("tickets/contacts/tasks", f"exactly 1/1/8: {dup.get('exactly_1_1_8')}  tickets/case "
                                               f"{dup.get('tickets_per_case')} contacts/email "
                                               f"{dup.get('contacts_per_email')} tasks/case {dup.get('tasks_per_case')}"))
    rows.append(("connector log", f"{json.dumps((result.get('connector_log_counts') or {}).get('levels'))} "
                                  f"({result.get('connector_log')})"))
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def print_comparison(results: list[dict]) -> None:
    """The measured (rate-limited) runs side by side: issue 5 item 4."""
    def row(result):
        c, s = result.get("api_calls") or {}, result.get("sync") or {}
        lat = (result.get("webhook") or {}).get("latency_ms_from_scheduled") or {}
        per = c.get("per_detractor") or {}
        floor = s.get("rate_limit_minimum") or {}
        dup = result.get("duplicates_and_completeness") or {}
        return {
            "API calls per detractor (target <= 1.2)": f"{per.get('all')} (Z {per.get('zendesk')}, H {per.get('hubspot')})",
            "API calls in all (Z + H)": f"{c.get('zendesk', {}).get('total')} + {c.get('hubspot', {}).get('total')}",
            "429 share of calls (target < 1%)": f"{c.get('429_share_of_calls', 0) * 100:.2f}%",
            "synced after (s)": str(s.get("seconds_first_send_to_last_vendor_call")),
            "rate-limit minimum (s)": f"{floor.get('seconds')} ({floor.get('bound_by')})",
            "measured / minimum (target <= 1.25)": str(s.get("measured_over_minimum")),
            "last answer accepted at (s)": str(s.get("last_answer_accepted_at_seconds")),
            "measured / max(minimum, arrival)": str(s.get("measured_over_max_minimum_and_arrival")),
            "webhook p50 / p99 (ms)": f"{lat.get('p50')} / {lat.get('p99')}",
            "exactly 1 ticket / 1 contact / 8 tasks": str(dup.get("exactly_1_1_8")),
            "jobs dead": str(result.get("jobs_dead")),
        }
    rows = [row(r) for r in results]
    names = [r["mode"] for r in results]
    width = max(len(k) for k in rows[0])
    cols = [max(len(n), *(len(r[k]) for k in r)) for n, r in zip(names, rows)]
    print("\n  comparison, same campaign, same run")
    print(f"  {'':<{width}}  " + "  ".join(f"{n:<{w}}" for n, w in zip(names, cols)))
    for key in rows[0]:
        print(f"  {key:<{width}}  " + "  ".join(f"{r[key]:<{w}}" for r, w in zip(rows, cols)))


def is_sound(result: dict) -> bool:
    """No lost answer, no non-202, no dead job, and (when synced) exactly 1/1/8 and all cases synced."""
    ok = (result.get("answers_lost") == 0 and result.get("jobs_dead") == 0
          and set(result["webhook"]["statuses"]) <= {"202"})
    if "duplicates_and_completeness" in result:
        ok = ok and result["sync"]["outcome"] == "synced" and result["duplicates_and_completeness"]["exactly_1_1_8"] \
            and set(result["cases"]["sync_status"]) <= {"synced"}
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--detractor-share", type=float, default=0.3)
    parser.add_argument("--rate", type=float, default=200.0, help="offered webhook requests per second")
    parser.add_argument("--workers", type=int, default=2, help="RECOVERY_WORKER_THREADS of the connector")
    parser.add_argument("--web-processes", type=int, default=0,
                        help="0: `recovery serve` (web and worker threads in one process); N: gunicorn with N web "
                             "processes plus a separate `recovery worker --threads WORKERS` process")
    parser.add_argument("--web-cpus", default="",
                        help="with --web-processes: pin the web processes to these CPUs (e.g. 0) and this "
                             "benchmark, the stand-ins and the worker to the others: web and worker on separate "
                             "cores, as on separate machines (the database server is not pinned)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--modes", default="batched,naive",
                        help=f"comma-separated configurations to run in turn; known: {', '.join(MODES)}")
    parser.add_argument("--senders", type=int, default=64, help="load-generator threads (max in flight)")
    parser.add_argument("--hubspot-limit", type=int, default=HUBSPOT_LIMIT, help="stand-in calls per 10 s")
    parser.add_argument("--zendesk-limit", type=int, default=ZENDESK_LIMIT, help="stand-in calls per minute")
    parser.add_argument("--sync-timeout", type=float, default=None,
                        help="seconds to wait for the sync after sending (default: 3x an estimate + 120)")
    parser.add_argument("--stall-timeout", type=float, default=180.0,
                        help="give up when nothing moves for this long")
    parser.add_argument("--reference", action="store_true",
                        help="first run the same campaign with the stand-ins unlimited, to count the calls a "
                             "429-free sync makes; the measured run then also reports its floor")
    parser.add_argument("--reference-only", action="store_true",
                        help="only the reference run (stand-ins unlimited): the connector's own throughput")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--connector-log-level", default="INFO")
    args = parser.parse_args(argv)
    if not (0 <= args.detractor_share <= 1) or args.answers < 1 or args.rate <= 0:
        parser.error("need answers >= 1, rate > 0 and 0 <= detractor-share <= 1")
    args.web_cpus = {int(c) for c in args.web_cpus.split(",") if c.strip()}
    if args.web_cpus:
        others = os.sched_getaffinity(0) - args.web_cpus
        if not args.web_processes or not others:
            parser.error("--web-cpus needs --web-processes and leaves at least one CPU for the rest")
        os.sched_setaffinity(0, others)  # the stand-ins and the worker start from here: they inherit it
    names = [n.strip() for n in args.modes.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}. {BATCHING_NOTE}")
    if args.sync_timeout is None:
        # The naive pattern bounds it: per detractor 1 upsert + 8 tasks + note + link on HubSpot,
        # ticket + history search on Zendesk; 1 upsert per other answer.
        d = round(args.answers * args.detractor_share)
        estimate = max((11 * d + args.answers - d) / (args.hubspot_limit / HUBSPOT_WINDOW),
                       2 * d / (args.zendesk_limit / ZENDESK_WINDOW))
        args.sync_timeout = 2 * estimate + 120
        print(f"rate-limit floor estimate for the naive call pattern: {estimate:.0f} s; sync timeout "
              f"{args.sync_timeout:.0f} s", flush=True)

    interrupted = threading.Event()

    def on_signal(signum, _frame):
        interrupted.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    code = 0
    print(f"note: {BATCHING_NOTE}", flush=True)
    measured = []
    try:
        for name in names:
            needed = None
            runs = [False] if args.reference_only else \
                ([False] if args.reference and args.workers > 0 else []) + [True]
            for limited in runs:
                result = run_mode(args, name, MODES[name], stamp, interrupted, limited=limited, needed_calls=needed)
                if not limited:
                    needed = result.get("api_calls")
                print_report(result)
                if limited:
                    measured.append(result)
                path = RESULTS / f"campaign-{stamp}-{result['mode']}.json"
                path.write_text(json.dumps(result, indent=2, default=str))
                print(f"\n  JSON: {path.relative_to(ROOT)}", flush=True)
                code = code or (0 if is_sound(result) else 1)
    except KeyboardInterrupt:
        print("\ninterrupted: connector and stand-ins stopped, database removed", file=sys.stderr)
        return 130
    if len(measured) > 1:
        print_comparison(measured)
    return code


if __name__ == "__main__":
    sys.exit(main())
