"""``recovery serve --sandbox --port 0`` in a child process, as an operator starts it, and what
the tests read of it: its port, its output, its process tree (threads, open files)."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.conftest import wait_until
from tests.signing import SECRET, answer_payload, just_now, signed_headers

RECOVERY = Path(sys.executable).with_name("recovery")
ADMIN_TOKEN = "serve-test-admin-token-0123456789"


class ServeCommand:
    def __init__(self, folder: Path, **settings: str):
        self.folder = folder
        self.output = folder / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
        env.update(RECOVERY_DATABASE_URL=f"sqlite:///{folder}/serve.db", RECOVERY_WEBHOOK_SECRET=SECRET,
                   RECOVERY_ADMIN_TOKEN=ADMIN_TOKEN, PYTHONUNBUFFERED="1",
                   **{f"RECOVERY_{k}": str(v) for k, v in settings.items()})
        with open(self.output, "wb") as log:
            # A session of its own: a signal can be sent to its whole group, as a terminal's Ctrl-C is.
            self.process = subprocess.Popen([str(RECOVERY), "serve", "--sandbox", "--port", "0"], cwd=folder,
                                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        port = wait_until(self._announced_port, timeout=90)
        self.url = f"http://127.0.0.1:{port}"
        wait_until(self._healthy, timeout=60)
        # The job worker is a child too: wait for it, so the process tree is complete.
        wait_until(lambda: "worker started" in self.text(), timeout=60)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def _announced_port(self):
        assert self.process.poll() is None, self.text()
        found = re.search(r"serving on http://127\.0\.0\.1:(\d+)", self.text())
        return int(found.group(1)) if found and int(found.group(1)) else None

    def _healthy(self) -> bool:
        try:  # the web processes may still be building the app: the kernel holds the connection
            return requests.get(f"{self.url}/healthz", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    def post_answer(self, response_id: str, timeout: float = 30) -> requests.Response:
        body = json.dumps(answer_payload(response_id=response_id, submitted_at=just_now(),
                                         customer={"email": f"{response_id}@example.com"})).encode()
        return requests.post(f"{self.url}/webhooks/surveys/generic", data=body,
                             headers=signed_headers(body, msg_id=f"msg-{response_id}"), timeout=timeout)

    def tree(self) -> list[int]:
        """This server's process and every descendant (the web processes, the job worker)."""
        return process_tree(self.process.pid)

    def threads(self) -> int:
        return sum(_count(f"/proc/{pid}/task") for pid in self.tree())

    def open_files(self) -> int:
        return sum(_count(f"/proc/{pid}/fd") for pid in self.tree())

    def stop(self, sig: int = signal.SIGTERM, *, group: bool = False) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig) if group else self.process.send_signal(sig)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            raise


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists():
            found.append(pid)
        todo += children.get(pid, [])
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to read its status."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _count(folder: str) -> int:
    try:
        return len(os.listdir(folder))
    except OSError:  # the process ended meanwhile
        return 0


def elapsed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
