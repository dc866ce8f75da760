"""``recovery serve --sandbox`` says where everything is: the stand-ins, the secrets it invented (never
the user's own), how to send an answer, and the screens' URL, which then shows the answer's case."""
import os
import re
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e
MARIE = "webhooks/samples/01-marie-nps-3.json"


def _serve(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    clean.update(RECOVERY_DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.db'}", **env)
    out = tmp_path / "serve.out"
    with open(out, "wb") as sink:
        server = subprocess.Popen([sys.executable, "-m", "connector", "serve", "--sandbox", "--port", "0"],
                                  cwd=tmp_path, env=clean, stdout=sink, stderr=subprocess.STDOUT)
    return server, out


def test_serve_sandbox_prints_what_it_invented_and_a_working_send_command(tmp_path):
    server, out = _serve(tmp_path)
    try:
        text = wait_until(lambda: "(each case's Zendesk sidebar" in (t := out.read_text(errors="replace")) and t,
                          timeout=30)
        base = re.search(r"the connector at (http://127\.0\.0\.1:\d+)", text)[1]
        secret = re.search(r"RECOVERY_WEBHOOK_SECRET=(whsec_\S+)\s+\(invented for this run\)", text)[1]
        token = re.search(r"RECOVERY_ADMIN_TOKEN=(\S+)\s+\(invented for this run\)", text)[1]
        stand_ins = re.findall(r"(Zendesk|HubSpot) stand-in: (http://127\.0\.0\.1:\d+)", text)
        assert [vendor for vendor, _ in stand_ins] == ["Zendesk", "HubSpot"]
        command = re.search(r"Send an answer:\s+RECOVERY_WEBHOOK_SECRET=\S+ (.+)", text)[1].split()
        assert command[1:4] == ["send", "--url", base] and command[4].endswith(MARIE) and len(command) == 5
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
        sent = subprocess.run([sys.executable, "-m", "connector", *command[1:]], cwd=tmp_path, capture_output=True,
                              text=True, timeout=30, env={**env, "RECOVERY_WEBHOOK_SECRET": secret})
        assert sent.returncode == 0 and re.fullmatch(r"01-marie-nps-3\.json: 202 accepted: case \d+\n", sent.stdout)
        case_id = sent.stdout.split("case ")[1].strip()
        case = requests.get(f"{base}/api/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert case.status_code == 200 and case.json()["customer_email"] == "marie@example.com"
        screens = re.search(r"Screens:\s+(\S+)", text)[1]
        page = wait_until(lambda: "ticket #" in (p := requests.get(screens, timeout=5).text) and p, timeout=30)
        sidebar = re.search(r'<a href="([^"]+)">ticket #', page)[1].replace("&amp;", "&")
        assert requests.get(f"{base}{sidebar}", timeout=5).status_code == 200 and f"#{case_id}" in page
    finally:
        server.terminate()
        server.wait(timeout=15)
    logged = out.read_text(errors="replace")
    assert "Traceback" not in logged
    assert "INFO connector.web.serve serving on" in logged  # at INFO, and still no Alembic chatter
    assert "alembic" not in logged.lower() and "Context impl" not in logged


def test_secrets_the_user_set_are_never_printed(tmp_path):
    mine = {"RECOVERY_ADMIN_TOKEN": "my-own-admin-token-0123456789abcdef",
            "RECOVERY_WEBHOOK_SECRET": "whsec_bXktb3duLXdlYmhvb2stc2VjcmV0LTAxMjM0NQ=="}
    server, out = _serve(tmp_path, **mine)
    try:
        text = wait_until(lambda: "Screens:" in (t := out.read_text(errors="replace")) and t, timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "RECOVERY_WEBHOOK_SECRET: yours, from the environment" in text
    assert "RECOVERY_ADMIN_TOKEN: yours, from the environment" in text
    assert not any(value in text for value in mine.values())
    assert re.search(r"Send an answer:\s+\S*(recovery|connector) send --url", text)
