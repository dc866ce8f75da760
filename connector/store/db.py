"""Engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode and opens every transaction with BEGIN IMMEDIATE:
a deferred transaction that reads and then writes can fail at once with
SQLITE_BUSY under concurrent writers instead of waiting its turn. Reads that
write nothing go through ``reading`` instead: a deferred BEGIN, a WAL snapshot
that neither waits for nor blocks the writers (a worker reading a hundred
cases would otherwise hold every webhook for 100 ms). A file database is
checkpointed by a thread, not by commits (see checkpoint.py).

A ``202`` promises the answer is durably stored, so SQLite commits with
``synchronous=FULL`` by default: the WAL is fsynced at every commit and an
acknowledged answer survives a power cut or a kernel crash, not only a process
crash as with ``NORMAL`` (``RECOVERY_SQLITE_SYNCHRONOUS=NORMAL`` trades that for
less latency per commit; the README gives the measured cost).
"""
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.store.checkpoint import BACKSTOP_PAGES, start_checkpoints
from connector.store.slow_writes import watch_slow_writes

BUSY_TIMEOUT_SECONDS = 30
# A connection's busy timeout as it stands between BEGIN IMMEDIATE's tries, and with none while it tries.
BUSY_TIMEOUT, NO_BUSY_TIMEOUT = f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}", "PRAGMA busy_timeout=0"
READ_ONLY = "recovery_read_only"  # execution option: the unit of work only reads
JOINS_BEGUN = "recovery_joins_begun"  # execution option: its DBAPI connection is in a write transaction already
SYNCHRONOUS_LEVELS = ("FULL", "EXTRA", "NORMAL")


def make_engine(url: str, *, synchronous: str = "FULL", slow_write_ms: float = 0) -> Engine:
    if url.startswith("sqlite"):
        level = str(synchronous or "FULL").upper()
        if level not in SYNCHRONOUS_LEVELS:
            raise ValueError(f"RECOVERY_SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS_LEVELS)}")
        # LIFO: a thread takes the connection returned last, whose page cache is warm; handed out in
        # turn (FIFO), each came back with a stale cache and re-read the pages others had written.
        in_file = make_url(url).database not in (None, "", ":memory:")
        pooled = {"pool_use_lifo": True} if in_file else {}  # a memory database has one connection per thread
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pooled)
        _tune_sqlite(engine, level)
        watch_slow_writes(engine, slow_write_ms, lambda connection: not connection.get_execution_options().get(READ_ONLY))
        if in_file:
            start_checkpoints(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return engine


def _tune_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        # The busy timeout first: switching a new file to WAL takes an exclusive lock, and a process
        # connecting meanwhile otherwise waits only the driver's default 5 s ("database is locked"
        # when several processes install the schema at once on a loaded machine).
        cursor.execute(BUSY_TIMEOUT)
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # one of SYNCHRONOUS_LEVELS, checked above
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        options = connection.get_execution_options()
        if options.get(JOINS_BEGUN):  # write_unit took the lock on the DBAPI connection already
            return
        if options.get(READ_ONLY):
            connection.connection.driver_connection.execute("BEGIN")
        else:
            begin_immediate(connection.connection.driver_connection)


def begin_immediate(dbapi_connection, timeout: float = BUSY_TIMEOUT_SECONDS, *, switch_timeout: bool = True) -> None:
    """BEGIN IMMEDIATE, retried every few tenths of a millisecond while another process writes.

    SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50 ms... between tries, so
    a writer that found the lock taken slept long past its release: with three writers at
    100 transactions/s holding the lock 1.5 ms, the wait for it was p99 35 ms, against 3-4 ms
    retried this way. The busy timeout is off for the tries only; inside the transaction it stands.
    ``switch_timeout=False``: the connection's busy timeout is 0 already and stays so (``write_units``).
    """
    deadline = time.monotonic() + timeout
    if switch_timeout:
        dbapi_connection.execute(NO_BUSY_TIMEOUT)
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:  # SQLITE_BUSY says "locked"
                    raise
            time.sleep(random.uniform(0.0001, 0.0005))  # jitter: waiting writers do not retry in step
    finally:
        if switch_timeout:
            dbapi_connection.execute(BUSY_TIMEOUT)


SCHEMA_WAIT_SECONDS = 120.0  # start-up only: several processes may wait for the one migrating


def install_schema(engine: Engine) -> str:
    """Create or migrate the schema to the newest revision (``connector.store.migrations``).

    On SQLite the processes starting at once queue on the write lock; the one migrating may hold
    it longer than a transaction's busy timeout (every revision, tables copied), so a process that
    gave up waiting tries again, and then finds the schema up to date.
    """
    from sqlalchemy.exc import OperationalError

    from connector.store.migrations import bring_up_to_date

    deadline = time.monotonic() + SCHEMA_WAIT_SECONDS
    while True:
        try:
            return bring_up_to_date(engine)
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.05, 0.2))  # another process is migrating: let it finish


CLOCK = "connector.clock"  # the key of the clock in a session's ``info``


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_now(session: Session) -> datetime:
    """Now, by the clock in the session's ``info`` (``CLOCK``; the wall clock when none is): what a
    session writes "now" without being told when (a job due at once). ``build_runtime`` gives its
    factory the runtime's clock, frozen or travelled in tests and sandboxes."""
    clock = session.info.get(CLOCK)
    return clock() if clock is not None else datetime.now(timezone.utc)


@contextmanager
def transaction(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    ``read_only``: it only reads, so on SQLite it takes no write lock (see ``reading``)."""
    session: Session = factory()
    try:
        if read_only:
            session.connection(execution_options={READ_ONLY: True})
        yield session
        if read_only and (session.new or session.dirty or session.deleted):
            raise RuntimeError("a read-only unit of work changed rows: use transaction()")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reading(factory: sessionmaker[Session]) -> AbstractContextManager[Session]:
    """A unit of work that only reads: on SQLite it takes no write lock. Loaded objects stay
    usable after it (expire_on_commit is off); writing in it is a bug and raises."""
    return transaction(factory, read_only=True)


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
