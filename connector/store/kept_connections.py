"""The write connections an engine keeps between ``write_unit`` s (issue 16).

On a SQLite file the pool's checkout and return, its reset and the two ``busy_timeout`` switches
around every BEGIN cost a webhook ~35 µs of CPU, a twentieth of its intake: an engine keeps up
to ``KEPT_AT_MOST`` idle write connections out of its pool instead, with a busy timeout of 0
while kept (``write_units`` retries BEGIN IMMEDIATE itself). One set per engine, in a table keyed
weakly by the engine, so a disposed and dropped engine (its pool, its open file) is collected.
"""
import threading
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from connector.store.db import BUSY_TIMEOUT, NO_BUSY_TIMEOUT

KEPT_AT_MOST = 4  # idle write connections an engine keeps: a web process's threads (WEB_THREADS, 4)


class KeptConnections:
    """One engine's idle write connections, checked out of its pool and kept between units
    (``keeps``; a memory database's, one per thread in its pool anyway, go back after every unit).

    A stack, not one per thread: a server that runs each request on a new thread (werkzeug's)
    reuses them as well, and a finished thread leaves none behind."""

    def __init__(self, engine: Engine, keeps: bool):
        self.keeps = keeps  # no reference to the engine: it is the key of ``_ENGINES``, held weakly
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._generation = 0  # Engine.dispose's count: a connection taken before it is not kept
        event.listen(engine, "engine_disposed", lambda _engine: self.close_idle())

    def take(self, engine: Engine) -> tuple[Any, int]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), self._generation
            generation = self._generation
        pooled: Any = engine.raw_connection()
        if self.keeps:
            pooled.driver_connection.execute(NO_BUSY_TIMEOUT)
        return pooled, generation

    def keep(self, pooled: Any, generation: int) -> bool:
        """Among the idle ones for the next unit; False when it must go back to the pool instead."""
        with self._lock:
            if self.keeps and generation == self._generation and len(self._idle) < KEPT_AT_MOST:
                self._idle.append(pooled)
                return True
        return False

    def give_back(self, pooled: Any, bound: Connection | None = None) -> None:
        """To the pool (rolled back there if need be), with the busy timeout every other user expects."""
        if self.keeps:
            try:
                pooled.driver_connection.execute(BUSY_TIMEOUT)
            except Exception:  # noqa: S110 - a broken connection: the pool's reset below invalidates it
                pass
        (bound or pooled).close()

    def close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for pooled in idle:
            pooled.invalidate()  # closes the DBAPI connection; the pool it came from forgets it


_ENGINES: "weakref.WeakKeyDictionary[Engine, KeptConnections]" = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def kept_connections(engine: Engine) -> "KeptConnections | None":
    """The engine's kept connections, or None where a unit runs on an engine Connection."""
    if engine.dispatch.commit:  # the slow-write log times commits through SQLAlchemy's events
        return None
    kept = _ENGINES.get(engine)
    if kept is not None:
        return kept
    if engine.dialect.name != "sqlite":
        return None
    with _ENGINES_LOCK:  # looked again under the lock: one set of kept connections (and listener) an engine
        kept = _ENGINES.get(engine)
        if kept is None:
            kept = _ENGINES[engine] = KeptConnections(engine, keeps=engine.url.database not in (None, "", ":memory:"))
        return kept
