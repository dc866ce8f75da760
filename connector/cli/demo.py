"""``make run``: the connector on SQLite against the stand-ins, fed the bundled samples.

It signs and sends each sample like a survey tool would, waits until the
worker has synced them, prints what landed in each system, and keeps serving.
"""
import json
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import requests
from rich.console import Console
from rich.progress import track
from rich.table import Table

from connector.inbound.standard_webhooks import decode_secret, sign
from connector.infra.resources import data_folder

SAMPLES = data_folder("webhooks/samples")


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


def send(base_url: str, secret: str, payload: dict) -> requests.Response:
    body = json.dumps(payload).encode()
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "Content-Type": "application/json",
               "webhook-signature": sign(decode_secret(secret), msg_id, stamp, body)}
    return requests.post(f"{base_url}/webhooks/surveys/generic", data=body, headers=headers, timeout=10)


def _wait_until_idle(config: dict, base_url: str, token: str, case_ids: list[int], timeout: float = 30) -> list[dict]:
    """Every job done (promoters' contact updates included), then the cases as the API shows them."""
    from sqlalchemy import func, select

    from connector.store.db import make_engine, make_session_factory, transaction
    from connector.store.models import Job

    # The worker runs in its own process: the queue is read where it lives, in the database.
    engine = make_engine(config["DATABASE_URL"], synchronous=config.get("SQLITE_SYNCHRONOUS") or "FULL")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with transaction(make_session_factory(engine), read_only=True) as session:
                busy = session.scalar(select(func.count()).select_from(Job)
                                      .where(Job.status.in_(("queued", "running"))))
            if not busy:
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
        answers = [send(base_url, config["WEBHOOK_SECRET"], p).json()
                   for p in track(samples, description="Sending sample answers", console=console)]
        case_ids = [a["case_id"] for a in answers if a.get("case_id")]
        with console.status("Waiting for Zendesk and HubSpot sync…"):
            cases = _wait_until_idle(config, base_url, config["ADMIN_TOKEN"], case_ids)
        summarise(console, samples, answers, cases, servers)
        console.print(f"\nServing on {base_url} (sandbox). Admin API: "
                      f"curl -H 'Authorization: Bearer {config['ADMIN_TOKEN']}' {base_url}/api/cases/{case_ids[0]}\n"
                      "Ctrl-C to stop.", soft_wrap=True)

    serve_app(config, "127.0.0.1", port, None,
              ready=lambda port: threading.Thread(target=feed, args=(port,), daemon=True).start())
