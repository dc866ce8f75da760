"""``write_unit``: the webhook's one write transaction, as cheap as SQLite lets it be.

The same unit of work as ``db.transaction()`` (BEGIN IMMEDIATE on SQLite, commit on success,
roll back on any error) without building an ORM session when prepared statements
(``store.prepared``) do all the work: the ORM session's set-up, commit and close cost a webhook
more than its SQL. A path that needs more (a customer's open case, a schedule) gets the session
on demand, joined to the transaction under way.

On a SQLite file, unless something listens for SQLAlchemy's commits (the slow-write log), the
engine keeps a few write connections between units (``store.kept_connections``): the pool's checkout
and return, its reset and the two ``busy_timeout`` switches around every BEGIN cost a webhook
~35 µs of CPU, a twentieth of its intake (issue 16). A kept connection's busy timeout is 0: its
BEGIN IMMEDIATE is retried by ``begin_immediate``, and inside a WAL write transaction nothing
else waits on a lock (readers never block a writer, and the commit's checkpoint is passive). It
goes back to the pool, timeout restored, when the ORM session joined it (that session closes
its connection), when a rollback failed or more than ``KEPT_AT_MOST`` are idle;
``Engine.dispose`` closes the idle ones.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import JOINS_BEGUN, begin_immediate
from connector.store.kept_connections import KeptConnections, kept_connections


@contextmanager
def write_unit(factory: sessionmaker[Session]) -> Iterator[Session]:
    engine: Engine = factory.kw["bind"]
    kept = kept_connections(engine)
    transaction: UnitTransaction = (_OnKeptConnection(engine, kept) if kept is not None
                                    else _OnEngineConnection(engine.connect()))
    unit = _SessionOnDemand(factory, transaction)
    try:
        transaction.begin()
        try:
            yield cast(Session, unit)
            if unit.session is not None:
                unit.session.flush()
            transaction.ended().commit()
        except BaseException:
            transaction.ended().rollback()
            raise
    finally:
        unit.close()


class UnitTransaction(Protocol):
    """How a write unit's connection begins its transaction, is joined by the ORM session, ends
    and is released."""

    bare: Any  # what the unit's ``connection()`` and ``get_bind()`` give the prepared statements

    def begin(self) -> None: ...

    def ended(self) -> Any:
        """What commits or rolls back the transaction."""

    def join(self) -> Connection:
        """The Connection the ORM session binds to, in the transaction under way."""

    def release(self) -> None: ...


class _SessionOnDemand:
    """``write_unit``'s session: a connection at once (``connection()``, ``get_bind()``), the ORM
    session only when a path asks for more; it joins the transaction under way and commits
    nothing itself."""

    def __init__(self, factory: sessionmaker[Session], transaction: UnitTransaction):
        self._factory, self._transaction, self._bare = factory, transaction, transaction.bare
        self.session: Session | None = None

    def connection(self, *_args: Any, **_kwargs: Any) -> Any:
        return self._bare

    def get_bind(self, *_args: Any, **_kwargs: Any) -> Any:
        return self._bare

    def __getattr__(self, name: str) -> Any:
        if self.session is None:
            self.session = self._factory(bind=self._transaction.join())
        return getattr(self.session, name)

    def close(self) -> None:
        """The session first, then the connection released (rolled back if still in a transaction)."""
        try:
            if self.session is not None:
                self.session.close()
        finally:
            self._transaction.release()


class _OnEngineConnection:
    """On an engine Connection (PostgreSQL, a memory database, SQLite while the slow-write log listens)."""

    def __init__(self, connection: Connection):
        self.bare = connection
        self._began: Any = None

    def begin(self) -> None:
        self._began = self.bare.begin()

    def ended(self) -> Any:
        return self._began

    def join(self) -> Connection:
        return self.bare

    def release(self) -> None:
        self.bare.close()


class _Pooled:
    """What the prepared statements and the claim line read of a connection (``Prepared._for``,
    ``turns.join_line``): its dialect, the pooled DBAPI connection and that connection's ``info``."""

    def __init__(self, engine: Engine, pooled: Any):
        self.dialect, self.connection, self.info = engine.dialect, pooled, pooled.info


class _OnKeptConnection:
    """On one of the engine's kept SQLite connections, whose transaction it begins itself; a
    SQLAlchemy Connection is made around it only when the ORM session joins (and then ends it)."""

    def __init__(self, engine: Engine, kept: KeptConnections):
        self._engine, self._kept = engine, kept
        self._pooled, self._generation = kept.take(engine)
        self.bare = _Pooled(engine, self._pooled)
        self._bound: Connection | None = None
        self._began: Any = None

    def begin(self) -> None:
        begin_immediate(self._pooled.driver_connection, switch_timeout=not self._kept.keeps)

    def ended(self) -> Any:
        return self._began if self._began is not None else self._pooled.driver_connection

    def join(self) -> Connection:
        self._bound = Connection(self._engine, self._pooled).execution_options(**{JOINS_BEGUN: True})
        self._began = self._bound.begin()  # SQLAlchemy's record of it: no second BEGIN (``db._on_begin``)
        return self._bound

    def release(self) -> None:
        clean = self._bound is None and not self._pooled.driver_connection.in_transaction
        if not (clean and self._kept.keep(self._pooled, self._generation)):
            self._kept.give_back(self._pooled, self._bound)
