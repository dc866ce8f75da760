"""``recovery serve`` (and the demo): the embedded default, one command for one machine.

Under the one command: gunicorn's arbiter (this process, with the sandbox stand-ins when asked),
``WEB_PROCESSES`` web processes of ``WEB_THREADS`` threads each, and one job worker process (see
``job_process``). Web and worker no longer share an interpreter, so they use both cores; a
stalled client costs a socket, not a thread (see ``head_first_worker``). SIGTERM or SIGINT
(Ctrl-C) stops every child: gunicorn stops its web processes, then the job worker is stopped.
SQLite stays safe with several processes: WAL, and every writer waits its turn on the lock.
"""
import logging
import resource
import signal
import threading
from typing import Callable

from gunicorn.app.base import BaseApplication

from connector.web.job_process import JobProcess, WakePipe, name_process

log = logging.getLogger(__name__)

WORKER_CLASS = "connector.web.head_first_worker.HeadFirstWorker"


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def open_file_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (children inherit it): each held
    connection is a file descriptor. Returns the limit obtained."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class EmbeddedServer(BaseApplication):
    """gunicorn driven from code: the options below, the app built in each web process."""

    def __init__(self, config: dict, options: dict, wake: WakePipe | None):
        self.recovery_config, self.options, self.wake = config, options, wake
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from connector.runtime import settle_heap
        from connector.web.app import create_app
        from connector.web.current import EXTENSION

        app = create_app(self.recovery_config)  # after the fork: this process's own engine
        if self.wake is not None:  # a stored answer wakes the job worker process at once
            app.extensions[EXTENSION].wake = self.wake
        settle_heap()
        return app


def gunicorn_options(config: dict, host: str, port: int, when_ready: Callable) -> dict:
    processes = int(config["WEB_PROCESSES"])
    # Every web process may end up holding most of the connections (the kernel picks who accepts).
    connections = min(int(config["WEB_CONNECTIONS"]), open_file_limit(int(config["WEB_CONNECTIONS"]) + 256) - 128)
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": processes, "threads": int(config["WEB_THREADS"]), "worker_class": WORKER_CLASS,
        "worker_connections": connections, "backlog": 2048,
        "keepalive": int(config["KEEPALIVE_SECONDS"]),
        "timeout": 30, "graceful_timeout": 10,
        "control_socket_disable": True,  # one fixed path per user: two servers would collide
        "loglevel": logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower(),
        "accesslog": None, "proc_name": "recovery-serve",
        "when_ready": when_ready, "post_fork": lambda _arbiter, _worker: name_process("recovery-web"),
    }


def serve_app(config: dict, host: str, port: int, workers: int | None,
              ready: Callable[[int], None] | None = None) -> None:
    """Serve until SIGTERM/SIGINT. ``ready(port)`` runs in this process once the socket listens
    (``port`` 0 asks the system for a free one)."""
    from connector.runtime import build_runtime
    from connector.web.head_first_worker import HeadFirstWorker

    # Built once here, then dropped: a bad mapping stops the command with its one line (not a web
    # process failing to boot), and the children all start on a current schema.
    build_runtime(config).engine.dispose()
    # Read by the web processes, which gunicorn forks from this one.
    HeadFirstWorker.header_timeout = float(config["HEADER_TIMEOUT_SECONDS"])
    HeadFirstWorker.io_timeout = float(config["BODY_TIMEOUT_SECONDS"])
    threads = workers or int(config["WORKER_THREADS"])
    wake = WakePipe() if threads > 0 else None
    jobs = JobProcess(config, threads, wake) if wake is not None else None  # 0: web only, workers run apart

    def when_ready(arbiter) -> None:
        bound = arbiter.LISTENERS[0].getsockname()[1]
        log.info("serving on http://%s:%s", host, bound)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):  # gunicorn's handlers, told first
            signal.signal(sig, lambda number, frame: (jobs and jobs.stopping(), arbiter.signal(number, frame)))
        if jobs is not None:
            jobs.start()
        if ready is not None:
            ready(bound)

    try:
        EmbeddedServer(config, gunicorn_options(config, host, port, when_ready), wake).run()
    finally:
        if jobs is not None:
            jobs.stop()
