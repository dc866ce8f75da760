"""Issue 16: web CPU per accepted webhook, the connector against the floor of its stack.

Starts two servers, each ``gunicorn --workers 1`` (one sync worker) on its own SQLite database
in WAL mode: the floor (``bench/floor_app.py``: signature, JSON, one row committed) and the
connector (``connector.web.app:create_app()``, web only: no worker drains its queue). Both get
the same signed campaign answers (30% detractors, as ``bench/campaign.py`` sends), one at a
time, in alternating rounds (the floor first in even rounds, the connector first in odd ones),
so both are measured in one run on the same machine load. CPU is the web worker process's
utime + stime from ``/proc/<pid>/stat`` around each round, divided by the webhooks accepted.

Usage: ``.venv/bin/python bench/intake_floor.py [--rounds 6] [--per-round 300] [--warmup 200] [--baseline DIR]``
(``--baseline DIR``: a third server from another checkout, e.g. ``git worktree add /tmp/before <commit>``,
measured in the same rounds, so a before/after pair shares one machine load)
"""
from __future__ import annotations

import argparse
import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from campaign_load import build_campaign  # noqa: E402
from deployment import HOST, die_with_parent, free_port, wait_healthy  # noqa: E402

PATH = "/webhooks/surveys/generic"


def cpu_times(pid: int) -> tuple[float, float]:
    """(utime, stime) of a process in seconds, from /proc/<pid>/stat (in clock ticks: 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def cpu_clock(pid: int) -> int:
    """The CPU-time clock of another process (``clock_getcpuclockid``): read with
    ``time.clock_gettime``, it counts to the nanosecond where /proc/<pid>/stat counts ticks of
    10 ms, a third of a 300-answer round's difference between two servers."""
    clock = ctypes.c_int()
    if _LIBC.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        raise OSError(ctypes.get_errno(), f"no CPU clock for process {pid}")
    return clock.value


def sign(secret: str, msg_id: str, body: bytes) -> dict:
    """Standard Webhooks headers; signed before the round's clock starts (the load's CPU is not measured)."""
    stamp = str(int(time.time()))
    digest = hmac.new(base64.b64decode(secret.removeprefix("whsec_")), f"{msg_id}.{stamp}.".encode() + body,
                      hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "Content-Type": "application/json",
            "webhook-signature": "v1," + base64.b64encode(digest).decode()}


@dataclass
class Server:
    name: str
    app: str
    env: dict
    cwd: Path = ROOT  # the checkout it runs from (``--baseline``: another commit's)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    cpu_seconds: float = 0.0
    system_seconds: float = 0.0  # the kernel's share of cpu_seconds (the WAL's writes and fsyncs among it)
    wall_seconds: float = 0.0
    accepted: int = 0
    rounds: list[float] = field(default_factory=list)  # ms of CPU per accepted webhook, each round

    def start(self, log_path: Path) -> None:
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "--workers", "1", "--worker-class", "sync",
                 "--bind", f"{HOST}:{self.port}", self.app],
                cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        wait_healthy(f"http://{HOST}:{self.port}", {self.name: self.process}, 60, log_path)

    def worker_pid(self) -> int:
        """gunicorn's one web process: the master's only child."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        if len(children) != 1:
            raise RuntimeError(f"{self.name}: expected one gunicorn worker, found {children}")
        return int(children[0])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


def post_all(server: Server, requests: list[tuple[bytes, dict]]) -> int:
    """Each request on its own connection (a sync worker closes it after answering); the 202s."""
    accepted = 0
    for body, headers in requests:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
        connection.request("POST", PATH, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read()
        connection.close()
        if response.status != 202:
            raise SystemExit(f"{server.name}: {response.status} {text[:200]!r}")
        accepted += 1
    return accepted


def measure(server: Server, requests: list[tuple[bytes, dict]]) -> None:
    pid = server.worker_pid()
    clock = cpu_clock(pid)
    (_, system), cpu, wall = cpu_times(pid), time.clock_gettime(clock), time.perf_counter()
    accepted = post_all(server, requests)
    (_, system_after), cpu, wall = cpu_times(pid), time.clock_gettime(clock) - cpu, time.perf_counter() - wall
    server.cpu_seconds += cpu
    server.system_seconds += system_after - system
    server.wall_seconds += wall
    server.accepted += accepted
    server.rounds.append(cpu * 1000 / accepted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--baseline", type=Path, help="another checkout of the connector (e.g. a git worktree of "
                        "the commit before a change), measured in the same rounds as 'baseline'")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="intake-floor-"))
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RECOVERY_", "FLOOR_"))}
    durability = os.environ.get("RECOVERY_SQLITE_SYNCHRONOUS", "FULL")
    floor = Server("floor", "bench.floor_app:create_app()",
                   {**base, "FLOOR_DATABASE": str(folder / "floor.db"), "FLOOR_SECRET": secret,
                    "RECOVERY_SQLITE_SYNCHRONOUS": durability})
    def connector_server(name: str, cwd: Path) -> Server:
        return Server(name, "connector.web.app:create_app()",
                      {**base, "RECOVERY_DATABASE_URL": f"sqlite:///{folder / f'{name}.db'}",
                       "RECOVERY_WEBHOOK_SECRET": secret, "RECOVERY_ADMIN_TOKEN": secrets.token_urlsafe(24),
                       "RECOVERY_SANDBOX": "true", "RECOVERY_SQLITE_SYNCHRONOUS": durability,
                       # the tenant's intake limit still runs (its cost counts) and never refuses a round
                       "RECOVERY_TENANT_INTAKE_BURST": str(10**9)}, cwd=cwd)

    connector = connector_server("connector", ROOT)
    servers = [floor, connector]
    if args.baseline:  # gunicorn puts its working directory first on sys.path: that checkout's code runs
        servers.append(connector_server("baseline", args.baseline.resolve()))
    answers = build_campaign(args.warmup + args.rounds * args.per_round, 0.3, 16, secrets.token_hex(3))
    try:
        for server in servers:
            server.start(folder / f"{server.name}.log")
        warm = answers[:args.warmup]
        for server in servers:
            post_all(server, [(a.body, sign(secret, a.response_id, a.body)) for a in warm])
        for n in range(args.rounds):
            batch = answers[args.warmup + n * args.per_round:args.warmup + (n + 1) * args.per_round]
            for server in (servers if n % 2 == 0 else servers[::-1]):  # each first in turn
                measure(server, [(a.body, sign(secret, a.response_id, a.body)) for a in batch])
    finally:
        for server in servers:
            server.stop()
    load = os.getloadavg()[0]
    print(f"{args.rounds} alternating rounds of {args.per_round} answers (30% detractors), each server "
          f"gunicorn -w 1 sync on SQLite WAL synchronous={durability}; load average {load:.2f}")
    for server in servers:
        per = server.cpu_seconds * 1000 / server.accepted
        print(f"  {server.name:<10} CPU {per:6.2f} ms per accepted webhook (rounds "
              f"{', '.join(f'{r:.2f}' for r in server.rounds)}; median {statistics.median(server.rounds):.2f}), "
              f"of which kernel {server.system_seconds * 1000 / server.accepted:.2f}; "
              f"wall {server.wall_seconds * 1000 / server.accepted:.2f} ms per request, {server.accepted} accepted")
    for server in servers[1:]:
        ratio = server.cpu_seconds / server.accepted / (floor.cpu_seconds / floor.accepted)
        per_round = [c / f for c, f in zip(server.rounds, floor.rounds, strict=True)]
        print(f"  {server.name} / floor: {ratio:.2f} (per round {', '.join(f'{r:.2f}' for r in per_round)}); "
              f"target <= 2")


if __name__ == "__main__":
    main()
