"""``make run``'s demo: starts, sends the samples, prints what landed, keeps serving."""
import os
import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


def test_demo_prints_what_landed_and_keeps_serving(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    env["RECOVERY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    out = tmp_path / "demo.out"
    with open(out, "wb") as sink:
        demo = subprocess.Popen([sys.executable, "-m", "connector", "demo", "--port", "0"],
                                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        text = wait_until(lambda: "Ctrl-C to stop." in (t := out.read_text(errors="replace")) and t, timeout=60)
        assert demo.poll() is None  # still serving
    finally:
        demo.terminate()
        demo.wait(timeout=10)
    assert "What landed" in text
    # 5 cases: 8 stage tasks each; the reps' heads-ups and the weekly digest come on their own time
    tasks = re.search(r"8 contact\(s\), \d+ task\(s\) \((\d+) recovery stage\(s\)", text)
    assert "5 ticket(s)" in text and tasks and int(tasks[1]) == 40
    assert "Marie Dubois" in text and "urgent" in text
    # where the newcomer goes next: the database it used, the secrets it invented, the screens of a case
    assert f"database: sqlite:///{tmp_path / 'demo.db'} (RECOVERY_DATABASE_URL), no earlier case" in text
    assert re.search(r"RECOVERY_WEBHOOK_SECRET=whsec_\S+\s+\(invented for this run\)", text)
    assert re.search(r"Zendesk sidebar of case #1: http://127\.0\.0\.1:\d+/sandbox/zendesk-sidebar\?ticket_id=\d+&token=", text)
    assert re.search(r"HubSpot card of case #1:\s+http://127\.0\.0\.1:\d+/sandbox/hubspot-card\?email=marie%40example\.com&token=", text)
    assert "Traceback" not in text
