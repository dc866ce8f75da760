"""The path a newcomer takes, run end to end: fresh clone -> make run -> recovery send -> the sidebar
and card URLs the sandbox printed -> the dashboard; then a second `make run` starts from a fresh
database. Exits non-zero naming the step that failed. CI runs it after `make test` (well under 60 s).

    .venv/bin/python .ci/newcomer.py            # the clone reuses this venv's installed packages
    .venv/bin/python .ci/newcomer.py --full-install   # `make run` installs them itself (minutes)

Only the commit checked out is cloned (uncommitted changes are not in a clone either). By default
the clone's `.venv` is seeded from the venv running this script, so the dependency download (which
`make test` and the `pip install .` smoke check already exercise) does not count against the time:
the clone's own code is what runs (its folder comes first on the path).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
READY = "Ctrl-C to stop."
STARTED = time.monotonic()


def step(text: str) -> None:
    print(f"newcomer [{time.monotonic() - STARTED:5.1f} s] {text}", flush=True)


def fail(text: str, log: Path | None = None) -> None:
    print(f"newcomer: FAILED: {text}", file=sys.stderr)
    if log is not None and log.exists():
        print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
    raise SystemExit(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_venv(clone: Path) -> None:
    """A `.venv` whose packages are this venv's and whose `connector` is the clone's."""
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(sysconfig.get_paths()["purelib"])
    target = venv / purelib.relative_to(sys.prefix)
    # Lines of a .pth are plain path entries: this venv's own .pth files (its editable install of
    # the checkout) are not run, so `connector` comes from the clone.
    (target / "newcomer-seed.pth").write_text(f"{clone}\n{purelib}\n", encoding="utf-8")
    script = venv / "bin" / "recovery"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nfrom connector.cli import main\nmain()\n", encoding="utf-8")
    script.chmod(0o755)
    (venv / ".installed").touch()  # newer than pyproject.toml: `make run` installs nothing
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import connector; print(connector.__file__)"],
                           cwd=clone.parent, capture_output=True, text=True, check=True).stdout.strip()
    expect(where.startswith(f"{clone}{os.sep}"), f"the seeded venv imports connector from {where}, not the clone")


class Demo:
    """`make run PORT=…` in its own process group, its output in a file."""

    def __init__(self, clone: Path, port: int, name: str):
        self.log = clone.parent / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
        with open(self.log, "wb") as sink:
            self.process = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}"], cwd=clone,
                                            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if READY in text:
                return text
            if self.process.poll() is not None:
                fail(f"make run stopped (exit {self.process.returncode}) before serving", self.log)
            time.sleep(0.2)  # polling the output of a process we do not control
        fail(f"make run printed no '{READY}' within {timeout:.0f} s", self.log)
        return ""

    def stop(self) -> int:
        """Ctrl-C, as the newcomer would; the exit status of `make run`."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def found(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text)
    if not match:
        fail(f"the sandbox did not print {what}")
    return match.group(1)


def fetch(url: str, *, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode(errors="replace")


def expect(ok: bool, text: str) -> None:
    if not ok:
        fail(text)


def check_screens(text: str, base: str) -> None:
    sidebar = found(r"Zendesk sidebar of case #\d+: (\S+)", text, "a Zendesk sidebar URL")
    status, _, page = fetch(sidebar)
    session = re.search(r'name="recovery-session" content="([^"]+)"', page)
    expect(status == 200 and session is not None, f"the sidebar URL answered {status}")
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(sidebar).query)["ticket_id"][0]
    status, _, case = fetch(f"{base}/zendesk/sidebar/case?ticket_id={ticket}",
                            headers={"X-Recovery-Session": session.group(1)})
    expect(status == 200 and 'class="case"' in case, f"the sidebar's case answered {status} without the case")
    step(f"sidebar URL shows the case of ticket #{ticket}")
    card = found(r"HubSpot card of case #\d+:\s+(\S+)", text, "a HubSpot card URL")
    status, _, page = fetch(card)
    expect(status == 200 and 'id="incident"' in page, f"the card URL answered {status} without the incident")
    step("card URL shows the contact's incident")


def check_dashboard(text: str, base: str) -> None:
    token = found(r"RECOVERY_ADMIN_TOKEN=(\S+)\s+\(invented", text, "the invented admin token")
    status, headers, _ = fetch(f"{base}/dashboard/login", data={"token": token, "next": "/dashboard"})
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    expect(status == 303 and cookie, f"signing in to the dashboard answered {status}")
    status, _, page = fetch(f"{base}/dashboard", headers={"Cookie": cookie})
    opened = re.search(r"Open cases by stage \((\d+)\)", page)
    expect(status == 200 and opened is not None and int(opened.group(1)) >= 5,
           f"the dashboard answered {status} without the demo's open cases")
    step(f"dashboard lists {opened.group(1)} open case(s)")


def send_as_printed(clone: Path, text: str) -> None:
    line = found(r"Send an answer:\s+(.+)", text, "a send command")
    secret = found(r"RECOVERY_WEBHOOK_SECRET=(\S+)", line, "the webhook secret in the send command")
    command = line.split(f"RECOVERY_WEBHOOK_SECRET={secret} ", 1)[1].split()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    done = subprocess.run(command, cwd=clone, env={**env, "RECOVERY_WEBHOOK_SECRET": secret},
                          capture_output=True, text=True, timeout=30)
    expect(done.returncode == 0 and re.search(r": 20[02] (accepted|already received): case \d+", done.stdout),
           f"`{' '.join(command)}` exited {done.returncode}: {done.stdout.strip()} {done.stderr.strip()}")
    step(f"recovery send: {done.stdout.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full-install", action="store_true", help="let `make run` create and fill .venv")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newcomer-"))
    demos = []
    try:
        clone = work / "recovery"
        subprocess.run(["git", "clone", "--quiet", str(CHECKOUT), str(clone)], check=True)
        if not args.full_install:
            seed_venv(clone)
        step(f"fresh clone at {clone}")
        port = free_port()
        demos.append(Demo(clone, port, "first-run"))
        text = demos[-1].wait_ready(600 if args.full_install else 45)
        base = f"http://127.0.0.1:{port}"
        expect(f"Serving on {base}" in text, f"make run PORT={port} does not serve on {base}")
        expect("fresh for this demo" in text, "the first make run did not say its database is fresh")
        step(f"make run PORT={port}: the samples landed, serving")
        send_as_printed(clone, text)
        check_screens(text, base)
        check_dashboard(text, base)
        expect(demos[-1].stop() in (0, 130, -signal.SIGINT), "make run did not stop on Ctrl-C")
        demos.append(Demo(clone, port, "second-run"))
        again = demos[-1].wait_ready(45)
        expect("fresh for this demo" in again and re.search(r"Marie Dubois\s+│ NPS 3\s+│ #1 critical", again),
               "the second make run did not start from a fresh database (Marie's case is not #1 critical)")
        step("second make run: fresh database, Marie's case is #1 again, not a repeat")
    finally:
        for demo in demos:
            demo.stop()
        shutil.rmtree(work, ignore_errors=True)
    step("the newcomer's path works")


if __name__ == "__main__":
    main()
