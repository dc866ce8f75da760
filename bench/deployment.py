"""bench/campaign.py's ``--web-processes N`` deployment, and where the CPU went (issue 5).

Kept apart from campaign.py so that file only gains the option and a few lines of
wiring. ``Deployment`` has ``Connector``'s interface (``url``, ``process``,
``start``, ``stop``); the CPU helpers say, for the send phase, the web side's CPU
per request and how many cores each party and the rest of the machine used, so a
latency figure can be read against how busy the machine was (2 cores, shared).
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, processes: dict, timeout: float, log_path: Path) -> None:
    """Until ``url``/healthz answers 200; fails at once when one of ``processes`` ({name: Popen}) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {log_path}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /healthz within {timeout} s; see {log_path}")


def die_with_parent() -> None:
    """Linux: SIGTERM when the benchmark dies, even by SIGKILL (no orphans)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def proc_status(pid: int) -> dict:
    """VmHWM / VmRSS (kB) and CPU seconds of a process, from /proc (0 once it is gone)."""
    out = {}
    with contextlib.suppress(OSError, IndexError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_seconds"] = (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")
    return out


class Deployment:
    """``--web-processes N``: the README's several-machine layout, on this machine: gunicorn
    with N (sync) web processes and, when ``--workers`` > 0, a ``recovery worker --threads W``
    process beside it, on SQLite or PostgreSQL as ``--database`` says. Connector's interface."""

    def __init__(self, env: dict, log_path: Path, web_processes: int, worker_threads: int, web_cpus=None):
        self.env, self.log_path, self.web_cpus = env, log_path, web_cpus
        self.web_processes, self.worker_threads = web_processes, worker_threads
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = self.worker = None  # the gunicorn master; the worker process
        self._log = None

    def _spawn(self, *args, cpus=None) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
        env.update(self.env, PYTHONUNBUFFERED="1")

        def prepare():
            die_with_parent()
            if cpus:
                os.sched_setaffinity(0, cpus)  # gunicorn's forked web processes inherit it

        return subprocess.Popen([sys.executable, "-m", *map(str, args)], cwd=ROOT, env=env, stdout=self._log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=prepare)

    def start(self, timeout: float = 60) -> None:
        self._log = open(self.log_path, "wb")
        # Tables first, as the README says: N processes creating them at once race on PostgreSQL.
        if self._spawn("connector", "install-schema").wait(timeout) != 0:
            raise RuntimeError(f"recovery install-schema failed; see {self.log_path}")
        self.process = self._spawn("gunicorn", "--workers", self.web_processes, "--bind", f"{HOST}:{self.port}",
                                   "connector.web.app:create_app()", cpus=self.web_cpus)
        if self.worker_threads > 0:
            self.worker = self._spawn("connector", "worker", "--threads", self.worker_threads)
        wait_healthy(self.url, {process.args[2]: process for process in (self.process, self.worker) if process},
                     timeout, self.log_path)

    def stop(self) -> int | None:
        for process in filter(None, (self.worker, self.process)):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        if self._log:
            self._log.close()
        worst = [p.returncode for p in (self.process, self.worker) if p is not None and p.returncode]
        return worst[0] if worst else (None if self.process is None else 0)


def make_connector(args, env: dict, log_path: Path, embedded):
    """gunicorn + worker for ``--web-processes N``; else ``embedded`` (``recovery serve``)."""
    if args.web_processes > 0:
        return Deployment(env, log_path, args.web_processes, args.workers, web_cpus=args.web_cpus)
    return embedded(env, log_path)


def deployment_text(args) -> str:
    if args.web_processes > 0:
        pinned = (f" (web on CPUs {sorted(args.web_cpus)}, worker, stand-ins and load generator on "
                  f"{sorted(os.sched_getaffinity(0))})") if args.web_cpus else ""
        return (f"gunicorn --workers {args.web_processes} 'connector.web.app:create_app()'"
                + (f" + recovery worker --threads {args.workers}" if args.workers else " (no worker)") + pinned)
    return f"recovery serve (gunicorn web processes + a job worker process of {args.workers} threads)"


def _descendants(pid: int) -> list[int]:
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields_ = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields_[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


# `recovery serve` names its children (connector/web/serve.py): its web processes and job worker
# are counted apart; "serve" is then the arbiter alone (or, before, web and worker in one process).
ROLE_BY_PROCESS_NAME = {"recovery-web": "web", "recovery-jobs": "worker"}


def _process_name(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


def connector_usage(connector) -> dict:
    """CPU seconds by role (web / worker / serve), summed peak and current RSS, over every
    process of the deployment (gunicorn forks its web processes)."""
    roles = {"worker": getattr(connector, "worker", None)}
    roles["web" if isinstance(connector, Deployment) else "serve"] = connector.process
    out = {"VmHWM": 0, "VmRSS": 0, "cpu_seconds": 0.0, "cpu_by_role": {}, "processes": 0}
    for role, process in roles.items():
        if process is None:
            continue
        for pid in _descendants(process.pid):
            status = proc_status(pid)
            named = ROLE_BY_PROCESS_NAME.get(_process_name(pid), role) if role == "serve" else role
            out["VmHWM"] += status.get("VmHWM", 0)
            out["VmRSS"] += status.get("VmRSS", 0)
            out["cpu_by_role"][named] = round(out["cpu_by_role"].get(named, 0) + status.get("cpu_seconds", 0), 2)
            out["processes"] += 1
    out["cpu_seconds"] = round(sum(out["cpu_by_role"].values()), 2)
    return out


def _database_cpu(url: str) -> float:
    """CPU seconds of the PostgreSQL backends serving the bench's own database (0 on SQLite)."""
    if not url.startswith("postgresql"):
        return 0.0
    marker, total = f" {url.rsplit('/', 1)[1]} ".encode(), 0.0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if marker in cmdline.read_bytes():
                total += proc_status(int(cmdline.parent.name)).get("cpu_seconds", 0.0)
    return total


def cpu_snapshot(connector, standins_pid: int, database_url: str) -> dict:
    """The machine's busy CPU seconds and ours, so a figure can say how busy the rest was."""
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {"machine": (sum(values) - values[3] - values[4]) / ticks, "connector": connector_usage(connector),
            "standins": proc_status(standins_pid).get("cpu_seconds", 0.0), "database": _database_cpu(database_url),
            "load_generator": me.ru_utime + me.ru_stime, "wall": time.monotonic(), "loadavg": os.getloadavg()}


def cpu_during(before: dict, after: dict, requests_sent: int) -> dict:
    """Cores used during the send phase by each party, and CPU per webhook in the web role."""
    wall = max(after["wall"] - before["wall"], 1e-9)
    roles = {role: after["connector"]["cpu_by_role"].get(role, 0) - before["connector"]["cpu_by_role"].get(role, 0)
             for role in after["connector"]["cpu_by_role"]}
    ours = sum(roles.values()) + sum(after[k] - before[k] for k in ("standins", "database", "load_generator"))
    web = roles.get("web", roles.get("serve", 0))
    return {"web_cpu_ms_per_request": round(web * 1000 / requests_sent, 2) if requests_sent else None,
            "cores_by_role": {r: round(v / wall, 2) for r, v in roles.items()},
            "cores_load_generator": round((after["load_generator"] - before["load_generator"]) / wall, 2),
            "cores_standins": round((after["standins"] - before["standins"]) / wall, 2),
            "cores_postgres_backends": round((after["database"] - before["database"]) / wall, 2),
            "cores_other_processes": round(max(after["machine"] - before["machine"] - ours, 0) / wall, 2),
            "loadavg_before": [round(x, 2) for x in before["loadavg"]],
            "loadavg_after": [round(x, 2) for x in after["loadavg"]]}


def cpu_text(cpu: dict | None) -> str:
    if not cpu:
        return "-"
    return (f"web {cpu['web_cpu_ms_per_request']} ms CPU per request; cores used: connector "
            f"{json.dumps(cpu['cores_by_role'])}, load generator {cpu['cores_load_generator']}, stand-ins "
            f"{cpu['cores_standins']}, postgres {cpu.get('cores_postgres_backends', 0)}, other processes "
            f"{cpu['cores_other_processes']} (of {os.cpu_count()}); "
            f"load average {cpu['loadavg_before'][0]} -> {cpu['loadavg_after'][0]}")


def slowest(sent: list, t0: float, count: int = 12) -> list[dict]:
    """The slowest requests and when they were due (s after the first): do they cluster?"""
    done = [x for x in sent if x is not None]
    worst = sorted(done, key=lambda x: x.finished - x.scheduled, reverse=True)[:count]
    return [{"due_s": round(x.scheduled - t0, 2), "ms": round((x.finished - x.scheduled) * 1000, 1)}
            for x in sorted(worst, key=lambda x: x.scheduled)]
