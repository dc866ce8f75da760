"""Opt-in diagnostic: every SQLite write transaction that held the write lock longer than
``RECOVERY_SQLITE_SLOW_WRITE_MS`` is logged with the connector code that began it.

On SQLite every webhook waits for the one write lock, so a worker transaction that holds it for
100 ms is a webhook's 100 ms tail. This is how issue 16's holds were found (a claim's hundred ORM
updates, a group's rows written one by one). Off by default: the stack is read at each write's
begin. The log line names code (file, line, function), never data.
"""
import logging
import time
import traceback
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
_BEGAN = "slow_writes_began"
_OWN_FILES = ("connector/store/db.py", "connector/store/write_units.py", "connector/store/kept_connections.py",
              "connector/store/slow_writes.py")


def watch_slow_writes(engine: Engine, threshold_ms: float, is_write: Callable[[Connection], bool]) -> None:
    """Log the write transactions of ``engine`` that held the lock ``threshold_ms`` or longer
    (registered after the engine's own BEGIN IMMEDIATE, so the time counts from the lock taken)."""
    if threshold_ms <= 0:
        return

    @event.listens_for(engine, "begin")
    def _began(connection: Connection) -> None:
        if is_write(connection):
            connection.info[_BEGAN] = (time.perf_counter(), origin())

    def _ended(connection: Connection) -> None:
        began = connection.info.pop(_BEGAN, None)
        if began is None:
            return
        held_ms = (time.perf_counter() - began[0]) * 1000
        if held_ms >= threshold_ms:
            log.warning("sqlite write lock held %.0f ms by %s", held_ms, began[1])

    event.listen(engine, "commit", _ended)
    event.listen(engine, "rollback", _ended)


def origin(depth: int = 4) -> str:
    """The innermost connector frames of the current stack, innermost first: ``path:line function``."""
    frames = [f"{frame.filename.rsplit('/connector/', 1)[-1]}:{frame.lineno} {frame.name}"
              for frame in traceback.extract_stack()
              if "/connector/" in frame.filename and not frame.filename.endswith(_OWN_FILES)]
    return " < ".join(reversed(frames[-depth:])) or "(outside the connector)"
