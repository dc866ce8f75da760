"""The worker of ``recovery serve``: the job threads in a child process of their own.

In the web processes' interpreter the worker threads competed with the webhooks for one GIL; in
a process of their own they use the second core. A supervising thread in the server process
starts the child, starts it again if it dies (with a growing pause, so a worker that cannot
start does not spin), and stops it when the server stops. The child never outlives the server:
it checks every second that its parent is still the one that forked it.
"""
import logging
import os
import signal
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 15.0  # a job in flight finishes its vendor call; then SIGKILL
# Inherited from the gunicorn arbiter when the child is forked after it started: not the child's.
_ARBITER_SIGNALS = ("SIGHUP", "SIGQUIT", "SIGTTIN", "SIGTTOU", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCHLD")


def name_process(name: str) -> None:
    """What ``ps``, ``top`` and the benchmarks show for this process (Linux; elsewhere a no-op)."""
    try:
        Path("/proc/self/comm").write_text(name[:15])
    except OSError:
        pass


class WakePipe:
    """Wakes the job worker's threads from a web process the moment an answer is stored, as the
    in-process worker threads were woken (``Runtime.notify``): without it the worker only sees the
    new job at its next poll (``WORKER_POLL_SECONDS``). A pipe made before any fork, so every
    child holds both ends: web processes write a byte, the job worker reads and wakes."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)

    def set(self) -> None:  # what Runtime.notify calls on its ``wake``
        try:
            os.write(self._write, b"!")
        except BlockingIOError:  # full: the worker has a wake-up pending already
            pass

    def forward_to(self, event: threading.Event) -> None:
        def forward() -> None:
            while True:
                os.read(self._read, 4096)  # every byte written since the last read: one wake-up
                event.set()

        threading.Thread(target=forward, name="wake-pipe", daemon=True).start()


def run_jobs(config: dict, threads: int, parent: int, wake: WakePipe | None = None) -> int:
    """The child's life: the job threads until SIGTERM/SIGINT or until the parent is gone."""
    from connector.jobs.worker import start_threads
    from connector.runtime import build_runtime, settle_heap

    name_process("recovery-jobs")
    for name in _ARBITER_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runtime = build_runtime(config)
    if wake is not None:
        wake.forward_to(runtime.wake)
    settle_heap()
    workers = start_threads(runtime, threads, stop)
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.warning("the server process is gone: the job worker stops")
            break
    stop.set()
    runtime.wake.set()
    for thread in workers:
        thread.join(STOP_GRACE_SECONDS)
    runtime.engine.dispose()
    return 0


def _exited(pid: int) -> bool:
    """Whether the child has ended (reaped here, or already by the gunicorn arbiter)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return True


class JobProcess:
    def __init__(self, config: dict, threads: int, wake: WakePipe | None = None):
        self.config, self.threads, self.wake = config, threads, wake
        self.pid: int | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        self._supervisor = threading.Thread(target=self._supervise, name="job-supervisor", daemon=True)
        self._supervisor.start()

    def _spawn(self) -> int:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: run, then leave without the parent's atexit or finally blocks
            code = 1
            try:
                code = run_jobs(self.config, self.threads, parent, self.wake)
            except BaseException:
                log.exception("the job worker stopped on an error")
            finally:
                logging.shutdown()
                os._exit(code)
        return pid

    def _supervise(self) -> None:
        pause = 1.0
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                self.pid = self._spawn()
            started = time.monotonic()
            while not self._stopping.wait(0.5):
                if _exited(self.pid):
                    break
            if self._stopping.wait(1.0):  # a signal to the whole group may reach the child first
                return
            pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, 30.0)
            log.error("the job worker process %s ended; starting another in %.0f s", self.pid, pause)
            if self._stopping.wait(pause):
                return

    def stopping(self) -> None:
        """The server is stopping: a child that ends now is not started again."""
        self._stopping.set()

    def stop(self) -> None:
        """SIGTERM, a grace period for the jobs in flight, then SIGKILL; no orphan either way."""
        with self._lock:
            self._stopping.set()
            pid = self.pid
        if pid is None or _exited(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            if _exited(pid):
                return
            time.sleep(0.05)  # waiting on a child process, no condition to wait on instead
        os.kill(pid, signal.SIGKILL)
        while not _exited(pid):
            time.sleep(0.05)
