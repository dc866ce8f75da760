"""Helpers for the screens' tests: a ZAF JWT signed by openssl (an independent RS256
implementation), a case with a Zendesk ticket, a dead job."""
import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from connector.store.db import transaction
from connector.store.models import Case, Job

AUD = "https://acme.zendesk.com/api/v2/apps/installations/42.json"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ZafKeys:
    def __init__(self, folder: Path):
        if not shutil.which("openssl"):
            pytest.skip("openssl is not installed: cannot sign a test ZAF token")
        self.private = folder / "zaf.key"
        subprocess.run(["openssl", "genrsa", "-out", str(self.private), "2048"], check=True, capture_output=True)
        self.public_pem = subprocess.run(["openssl", "rsa", "-in", str(self.private), "-pubout"], check=True,
                                         capture_output=True, text=True).stdout

    def token(self, claims: dict | None = None, *, alg: str = "RS256") -> str:
        now = int(time.time())
        body = {"iss": "acme.zendesk.com", "aud": AUD, "iat": now, "exp": now + 300,
                "sub": "user-1", **(claims or {})}
        signing_input = f"{_b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{_b64(json.dumps(body).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.private)],
                                   input=signing_input.encode(), check=True, capture_output=True).stdout
        return f"{signing_input}.{_b64(signature)}"


def open_case(rt, client, *, ticket_id: int = 9001, email: str = "marie@example.com", response_id="srv-ui-1",
              submitted_at: str | None = None, contact_id: str | None = "501") -> int:
    from tests.conftest import plan
    from tests.signing import answer_payload, post_answer

    payload = answer_payload(response_id=response_id, customer={"email": email})
    if submitted_at:
        payload["submitted_at"] = submitted_at
    answer = post_answer(client, payload)
    assert answer.status_code == 202, answer.get_json()
    case_id = answer.get_json()["case_id"]
    plan(rt)  # the worker's first step: the case's profile, cause and stages, before the test changes them
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        case.zendesk_ticket_id, case.hubspot_contact_id = ticket_id, contact_id
    return case_id


def dead_job(rt, case_id: int) -> int:
    with transaction(rt.sessions) as session:
        job = Job(kind="zendesk.sync_case", ref_id=case_id, dedupe_key=f"dead-{time.time_ns()}", status="dead",
                  attempts=5, last_error="ZendeskPermanentError: 403", tenant_id=session.get(Case, case_id).tenant_id)
        session.add(job)
        session.flush()
        return job.id
