"""``recovery send FILE…``: sign survey answers with the configured secret and post them.

What a survey tool does, from a terminal: each file is one answer in the generic webhook's shape
(``webhooks/samples/``), signed per Standard Webhooks with ``RECOVERY_WEBHOOK_SECRET`` (the sandbox
prints the one it invented) and posted to ``/webhooks/surveys/generic``. The bundled samples are
dated 2026-11-20, so sent as they are their stages start overdue: ``submitted_at`` becomes now
unless ``--keep-date``. One line per file; exit 1 when any answer was not accepted.
"""
import json
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import click
import requests

from connector.config import load_config
from connector.inbound.standard_webhooks import decode_secret, sign
from connector.mappings import flatten_messages

DEFAULT_URL = "http://127.0.0.1:8000"
PATH = "/webhooks/surveys/generic"


def post_answer(base_url: str, secret: str, payload: dict, timeout: float = 10) -> requests.Response:
    """Sign ``payload`` with the first of the (space-separated) secrets and post it."""
    body = json.dumps(payload).encode()
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "Content-Type": "application/json",
               "webhook-signature": sign(decode_secret(secret.split()[0]), msg_id, stamp, body)}
    return requests.post(f"{base_url.rstrip('/')}{PATH}", data=body, headers=headers, timeout=timeout)


def _read(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot be read ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") \
            from None
    if not isinstance(payload, dict):
        raise click.ClickException(f"{path}: must hold one JSON object (one survey answer)")
    return payload


def _said(response: requests.Response) -> str:
    """The connector's answer in a few words (never the body's customer data)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code in (200, 202):
        seen = "accepted" if response.status_code == 202 else "already received"
        case = f"case {body['case_id']}" if body.get("case_id") else "no case (not a detractor)"
        return f"{response.status_code} {seen}: {case}"
    if isinstance(body.get("fields"), dict):  # a 422 names every bad field at once
        return f"{response.status_code} " + "; ".join(f"{field}: {text}" for field, text in
                                                      flatten_messages(body["fields"]))
    return f"{response.status_code} {body.get('message') or body.get('error') or response.reason}"


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=None, help=f"The connector (default RECOVERY_PUBLIC_BASE_URL, else {DEFAULT_URL}).")
@click.option("--keep-date", is_flag=True, help="Send submitted_at as written in the file (default: now).")
def send(files, url, keep_date):
    """Sign survey answers (JSON files) with RECOVERY_WEBHOOK_SECRET and post them to the connector."""
    config = load_config()
    secret = str(config.get("WEBHOOK_SECRET") or "")
    if not secret:
        raise click.ClickException("RECOVERY_WEBHOOK_SECRET is not set: use the connector's "
                                   "(`recovery serve --sandbox` and `make run` print the one they invented)")
    try:
        decode_secret(secret.split()[0])
    except ValueError:
        raise click.ClickException("RECOVERY_WEBHOOK_SECRET must be whsec_<base64>") from None
    base_url = url or config.get("PUBLIC_BASE_URL") or DEFAULT_URL
    payloads = [(path, _read(path)) for path in files]  # every file checked before anything is sent
    refused = 0
    for path, payload in payloads:
        if not keep_date:
            payload["submitted_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            response = post_answer(base_url, secret, payload)
        except requests.ConnectionError:
            raise click.ClickException(f"nothing answers at {base_url}: start the connector "
                                       f"(`make run`, `recovery serve`) or pass --url") from None
        except requests.RequestException as exc:
            raise click.ClickException(f"{base_url}: {type(exc).__name__}") from None
        refused += response.status_code not in (200, 202)
        click.echo(f"{path.name}: {_said(response)}")
    if refused:
        raise SystemExit(1)
