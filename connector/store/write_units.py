"""``write_unit``: the webhook's one write transaction, as cheap as SQLite lets it be.

The same unit of work as ``db.transaction()`` (BEGIN IMMEDIATE on SQLite, commit on success,
roll back on any error) without building an ORM session when prepared statements
(``store.prepared``) do all the work: the ORM session's set-up, commit and close cost a webhook
more than its SQL. A path that needs more (a customer's open case, a schedule) gets the session
on demand, joined to the transaction under way.

On a SQLite file, unless something listens for SQLAlchemy's commits (the slow-write log), each
thread keeps its own write connection between units (``_HeldConnections``): the pool's checkout
and return, its reset and the two ``busy_timeout`` switches around every BEGIN cost a webhook
~35 µs of CPU, a twentieth of its intake (issue 16). That connection's busy timeout is 0 for as
long as it is held: its BEGIN IMMEDIATE is retried by ``begin_immediate``, and inside a WAL write
transaction nothing else waits on a lock (readers never block a writer, and the commit's
checkpoint is passive). It goes back to the pool, timeout restored, when the ORM session joined
it (that session closes its connection) or a rollback failed; ``Engine.dispose`` closes them all.
"""
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import BUSY_TIMEOUT_SECONDS, JOINS_BEGUN, begin_immediate


@contextmanager
def write_unit(factory: sessionmaker[Session]) -> Iterator[Session]:
    engine: Engine = factory.kw["bind"]
    held = _held(engine)
    unit: _SessionOnDemand = (_HeldUnit(factory, engine, held) if held is not None
                              else _ConnectionUnit(factory, engine.connect()))
    try:
        unit.begin()
        try:
            yield cast(Session, unit)
            if unit.session is not None:
                unit.session.flush()
            unit.ended().commit()
        except BaseException:
            unit.ended().rollback()
            raise
    finally:
        unit.close()


class _SessionOnDemand:
    """``write_unit``'s session: a connection at once (``connection()``, ``get_bind()``), the ORM
    session only when a path asks for more; it joins the transaction under way and commits
    nothing itself. Subclasses say which connection, and how its transaction begins, is joined,
    ends and is released."""

    def __init__(self, factory: sessionmaker[Session], bare: Any):
        self._factory, self._bare = factory, bare
        self._began: Any = None
        self.session: Session | None = None

    def connection(self, *_args: Any, **_kwargs: Any) -> Any:
        return self._bare

    def get_bind(self, *_args: Any, **_kwargs: Any) -> Any:
        return self._bare

    def __getattr__(self, name: str) -> Any:
        if self.session is None:
            self.session = self._factory(bind=self._join())
        return getattr(self.session, name)

    def close(self) -> None:
        """The session first, then the connection released (rolled back if still in a transaction)."""
        try:
            if self.session is not None:
                self.session.close()
        finally:
            self._release()

    def begin(self) -> None:
        raise NotImplementedError

    def ended(self) -> Any:
        """What commits or rolls back the transaction."""
        raise NotImplementedError

    def _join(self) -> Connection:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class _ConnectionUnit(_SessionOnDemand):
    """On an engine Connection (PostgreSQL, a memory database, SQLite while the slow-write log listens)."""

    def begin(self) -> None:
        self._began = self._bare.begin()

    def ended(self) -> Any:
        return self._began

    def _join(self) -> Connection:
        return cast(Connection, self._bare)

    def _release(self) -> None:
        self._bare.close()


class _Pooled:
    """What the prepared statements and the claim line read of a connection (``Prepared._for``,
    ``turns.join_line``): its dialect, the pooled DBAPI connection and that connection's ``info``."""

    def __init__(self, engine: Engine, pooled: Any):
        self.dialect, self.connection, self.info = engine.dialect, pooled, pooled.info


class _HeldUnit(_SessionOnDemand):
    """On the thread's held SQLite connection, whose transaction it begins itself; a SQLAlchemy
    Connection is made around it only when the ORM session joins (and then ends it)."""

    def __init__(self, factory: sessionmaker[Session], engine: Engine, held: "_HeldConnections"):
        self._engine, self._held, self._pooled = engine, held, held.take()
        super().__init__(factory, _Pooled(engine, self._pooled))
        self._bound: Connection | None = None

    def begin(self) -> None:
        begin_immediate(self._pooled.driver_connection, switch_timeout=not self._held.keeps)

    def ended(self) -> Any:
        return self._began if self._began is not None else self._pooled.driver_connection

    def _join(self) -> Connection:
        self._bound = Connection(self._engine, self._pooled).execution_options(**{JOINS_BEGUN: True})
        self._began = self._bound.begin()  # SQLAlchemy's record of it: no second BEGIN (``db._on_begin``)
        return self._bound

    def _release(self) -> None:
        if self._held.keeps and self._bound is None and not self._pooled.driver_connection.in_transaction:
            return  # kept for the thread's next unit
        self._held.give_back(self._pooled, self._bound)


class _HeldConnections:
    """One engine's write connections, one per thread, checked out of its pool and kept
    (``keeps``; a memory database's, whose pool gives each thread its one connection anyway,
    go back after every unit)."""

    def __init__(self, engine: Engine, keeps: bool):
        self._engine, self.keeps = engine, keeps
        self._local, self._lock = threading.local(), threading.Lock()
        self._all: set[Any] = set()
        event.listen(engine, "engine_disposed", lambda _engine: self.close_all())

    def take(self) -> Any:
        pooled: Any = getattr(self._local, "pooled", None)
        if pooled is None or pooled not in self._all:  # none yet, or closed by ``Engine.dispose``
            pooled = self._engine.raw_connection()
            if self.keeps:
                pooled.driver_connection.execute("PRAGMA busy_timeout=0")
                self._local.pooled = pooled
                with self._lock:
                    self._all.add(pooled)
        return pooled

    def give_back(self, pooled: Any, bound: Connection | None = None) -> None:
        """To the pool (rolled back there if need be), with the busy timeout every other user expects."""
        if self.keeps:
            self._local.pooled = None
            with self._lock:
                self._all.discard(pooled)
            try:
                pooled.driver_connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            except Exception:  # noqa: S110 - a broken connection: the pool's reset below invalidates it
                pass
        (bound or pooled).close()

    def close_all(self) -> None:
        with self._lock:
            held, self._all = self._all, set()
        for pooled in held:
            pooled.invalidate()  # closes the DBAPI connection; the pool it came from forgets it


_ENGINES: "weakref.WeakKeyDictionary[Engine, _HeldConnections]" = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def _held(engine: Engine) -> "_HeldConnections | None":
    """The engine's held connections, or None where a unit runs on an engine Connection."""
    if engine.dispatch.commit:  # the slow-write log times commits through SQLAlchemy's events
        return None
    held = _ENGINES.get(engine)
    if held is not None:
        return held
    if engine.dialect.name != "sqlite":
        return None
    with _ENGINES_LOCK:
        return _ENGINES.setdefault(
            engine, _HeldConnections(engine, keeps=engine.url.database not in (None, "", ":memory:")))
