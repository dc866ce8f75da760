"""``make run``: the connector on SQLite against the stand-ins, fed the bundled samples.

It signs and sends each sample like a survey tool would, waits until the
worker has synced them, prints what landed in each system, and keeps serving.
"""
import fcntl
import json
import os
import socket
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import requests
from rich.console import Console
from rich.progress import track
from rich.table import Table

from connector.cli.database import count_cases
from connector.cli.sandbox_banner import case_screen_lines, sandbox_banner, signing_app
from connector.cli.send import post_answer
from connector.config import load_config
from connector.infra.resources import data_folder

SAMPLES = data_folder("webhooks/samples")
DEMO_DATABASE = "recovery-demo.db"  # the demo's own file: a deployment's recovery.db is never touched


def choose_database(keep: bool) -> str:
    """Point the demo at a fresh database (or the one asked for) and say which, in one line.

    The stand-ins start empty on every run, so the cases of an earlier demo point at tickets that
    no longer exist: kept, they close as failed and the same customers' new cases count as repeats
    (chronic). So each demo starts from a fresh ``recovery-demo.db`` unless ``--continue``; a
    database named by ``RECOVERY_DATABASE_URL`` is never deleted, and its earlier cases are counted.
    """
    if "RECOVERY_DATABASE_URL" in os.environ or "DATABASE_URL" in _config_file_keys():
        url = load_config()["DATABASE_URL"]
        earlier = count_cases(url)
        if not earlier:
            return f"database: {url} (RECOVERY_DATABASE_URL), no earlier case"
        return (f"database: {url} (RECOVERY_DATABASE_URL), continued: {earlier} earlier case(s) whose tickets were "
                "on stand-ins that are gone (they will close as failed; the same customers' new cases are repeats)")
    path = Path(DEMO_DATABASE).resolve()
    _hold_demo_lock(path)
    os.environ["RECOVERY_DATABASE_URL"] = f"sqlite:///{path}"
    earlier = count_cases(os.environ["RECOVERY_DATABASE_URL"])
    if keep:
        return (f"database: {path}, continued with --continue: {earlier or 0} case(s) of earlier demos, whose "
                "tickets were on stand-ins that are gone (they will close as failed)")
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return f"database: {path}, fresh for this demo (--continue keeps the previous demo's)"


_held_locks: list = []  # open for the life of the process: the lock goes when the demo stops


def _hold_demo_lock(database: Path) -> None:
    """One demo per folder: a second ``make run`` must not delete the database the first is using."""
    lock = open(f"{database}.lock", "a")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise click.ClickException(f"another demo is running in this folder on {database.name}: stop it "
                                   "(Ctrl-C) first, or start this one from another folder") from None
    _held_locks.append(lock)


def port_in_use(port: int) -> bool:
    """Whether a server already listens on ``port`` (checked before the demo deletes anything)."""
    if port == 0:
        return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _config_file_keys() -> dict:
    name = os.environ.get("RECOVERY_CONFIG_FILE")
    if not name:
        return {}
    try:
        loaded = json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # load_config says what is wrong with it, in one line
    return loaded if isinstance(loaded, dict) else {}


def load_samples(run_id: str) -> list[dict]:
    """The bundled answers, made unique to this run and dated a minute ago."""
    answered = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    samples = []
    for path in sorted(SAMPLES.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        payload["response_id"] = f"{payload['response_id']}-{run_id}"
        payload["submitted_at"] = answered
        samples.append(payload)
    return samples


def work_left(session, now: datetime) -> int:
    """Answers the worker has not fed yet (their jobs are still to be queued: ``cases.feeding``)
    and jobs due or running; next week's digest is not waited for."""
    from sqlalchemy import func, select

    from connector.store.models import Answer, Job

    unfed = session.scalar(select(func.count()).select_from(Answer).where(Answer.fed_at.is_(None)))
    return unfed + session.scalar(select(func.count()).select_from(Job).where(
        Job.status.in_(("queued", "running")), (Job.status == "running") | (Job.run_at <= now)))


def _wait_until_idle(config: dict, base_url: str, token: str, case_ids: list[int], timeout: float = 30) -> list[dict]:
    """Every job done (promoters' contact updates included), then the cases as the API shows them."""
    from connector.store.db import make_engine, make_session_factory, transaction

    # The worker runs in its own process: the queue is read where it lives, in the database.
    engine = make_engine(config["DATABASE_URL"], synchronous=config.get("SQLITE_SYNCHRONOUS") or "FULL")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with transaction(make_session_factory(engine), read_only=True) as session:
                if not work_left(session, datetime.now(timezone.utc)):
                    break
            time.sleep(0.2)  # polling the live server the user is watching
    finally:
        engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    return [requests.get(f"{base_url}/api/cases/{cid}", headers=headers, timeout=5).json() for cid in case_ids]


def summarise(console: Console, samples, answers, cases, servers) -> None:
    zendesk = servers["zendesk"].app.extensions["zendesk_standin"]
    hubspot = servers["hubspot"].app.extensions["hubspot_standin"]
    table = Table(title="What landed")
    for column in ("customer", "answer", "case", "value", "priority", "ticket", "flag", "tasks"):
        table.add_column(column, no_wrap=True)
    by_case = {c["id"]: c for c in cases}
    for payload, answer in zip(samples, answers):
        case = by_case.get(answer.get("case_id"))
        contact = hubspot.contact_by_email(payload["customer"]["email"]) or {}
        props = contact.get("properties", {})
        tasks = [t for t in hubspot.tasks.values() if contact.get("id") in t.get("associations", {}).get("contacts", [])]
        ticket = zendesk.tickets.get(case["zendesk_ticket_id"]) if case and case["zendesk_ticket_id"] else None
        table.add_row(
            payload["customer"]["name"], f"{payload['survey']['type'].upper()} {payload['score']}",
            f"#{case['id']} {case['severity']}" if case else props.get("nps_last_category", "-"),
            case["value_tier"] if case else "", case["priority"] if case else "",
            f"#{ticket['id']}" if ticket else "", props.get("recovery_incident_open") or "", str(len(tasks)))
    console.print(table)
    # soft_wrap: a line the terminal may fold, never one rich breaks mid-phrase
    console.print(f"Zendesk stand-in: {len(zendesk.tickets)} ticket(s) at {servers['zendesk'].url}", soft_wrap=True)
    # The stage tasks are the plan; the reps' heads-ups and the weekly digest arrive on their own time.
    stages = sum(str(t.get("properties", {}).get("hs_task_subject", "")).startswith("Recovery · ")
                 for t in hubspot.tasks.values())
    console.print(f"HubSpot stand-in: {len(hubspot.contacts)} contact(s), {len(hubspot.tasks)} task(s) "
                  f"({stages} recovery stage(s), {len(hubspot.tasks) - stages} heads-up(s) and digest(s)) "
                  f"at {servers['hubspot'].url}", soft_wrap=True)


def run_demo(config: dict, servers: dict, port: int) -> None:
    import logging

    from connector.web.serve import serve_app

    console = Console() if sys.stdout.isatty() else Console(width=110)
    if "LOG_LEVEL" not in config:  # keep the summary readable; RECOVERY_LOG_LEVEL=INFO shows all
        logging.getLogger().setLevel(logging.WARNING)

    def feed(port: int):
        base_url = f"http://127.0.0.1:{port}"
        samples = load_samples(uuid.uuid4().hex[:6])
        answers = [post_answer(base_url, config["WEBHOOK_SECRET"], p).json()
                   for p in track(samples, description="Sending sample answers", console=console)]
        case_ids = [a["case_id"] for a in answers if a.get("case_id")]
        with console.status("Waiting for Zendesk and HubSpot sync…"):
            cases = _wait_until_idle(config, base_url, config["ADMIN_TOKEN"], case_ids)
        summarise(console, samples, answers, cases, servers)
        signing = signing_app(config)
        console.print("", *sandbox_banner(signing, config, servers, base_url), sep="\n", soft_wrap=True)
        if cases:
            console.print(*case_screen_lines(signing, base_url, cases[0]), sep="\n", soft_wrap=True)
        console.print(f"  Admin API:       curl -H 'Authorization: Bearer {config['ADMIN_TOKEN']}' "
                      f"{base_url}/api/cases/{case_ids[0]}\n\nServing on {base_url} (sandbox). Ctrl-C to stop.",
                      soft_wrap=True)

    serve_app(config, "127.0.0.1", port, None,
              ready=lambda port: threading.Thread(target=feed, args=(port,), daemon=True).start())
