"""Several SQLite writers: BEGIN IMMEDIATE waits its turn, then gives up at its deadline;
a read-only unit of work takes no write lock at all."""
import sqlite3
import threading

import pytest
from sqlalchemy import text

from connector.store.db import BUSY_TIMEOUT_SECONDS, begin_immediate, make_engine, make_session_factory, reading
from tests.e2e.conftest import wait_until


class CountingConnection:
    """A sqlite3 connection that counts BEGIN IMMEDIATE tries."""

    def __init__(self, path):
        self.raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.begins = 0

    def execute(self, sql, *args):
        if sql == "BEGIN IMMEDIATE":
            self.begins += 1
        return self.raw.execute(sql, *args)

    def busy_timeout(self) -> int:
        return self.raw.execute("PRAGMA busy_timeout").fetchone()[0]


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "writers.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x INTEGER)")
    return path


def test_a_waiting_writer_gets_the_lock_once_the_holder_commits(database):
    holder = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    waiter, done = CountingConnection(database), threading.Event()

    def write():
        begin_immediate(waiter, timeout=30)
        waiter.execute("INSERT INTO t VALUES (2)")
        waiter.execute("COMMIT")
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    wait_until(lambda: waiter.begins >= 2, timeout=10, interval=0.001)  # it found the lock taken
    assert not done.is_set()
    holder.execute("INSERT INTO t VALUES (1)")
    holder.execute("COMMIT")
    thread.join(timeout=10)
    assert done.is_set()
    assert [row[0] for row in holder.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    assert waiter.busy_timeout() == BUSY_TIMEOUT_SECONDS * 1000  # restored for the transaction


def test_a_lock_never_released_fails_at_the_deadline(database):
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = CountingConnection(database)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter, timeout=0.05)
    assert waiter.begins > 1
    assert waiter.busy_timeout() == BUSY_TIMEOUT_SECONDS * 1000
    holder.execute("ROLLBACK")


def test_other_errors_are_not_retried(database):
    waiter = CountingConnection(database)
    waiter.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        begin_immediate(waiter, timeout=30)
    assert waiter.begins == 1


def test_the_engine_begins_every_transaction_immediate(tmp_path):
    # A deferred transaction that reads then writes fails at once under concurrent writers;
    # an immediate one holds the write lock from its first statement.
    engine = make_engine(f"sqlite:///{tmp_path / 'engine.db'}")
    other = None
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.begin() as connection:
            connection.execute(text("SELECT 1"))
            other = sqlite3.connect(tmp_path / "engine.db", timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        if other is not None:
            other.close()
        engine.dispose()


def test_a_read_only_unit_of_work_neither_waits_for_nor_blocks_a_writer(tmp_path):
    # A worker reading a hundred cases must not hold every webhook behind the write lock.
    engine = make_engine(f"sqlite:///{tmp_path / 'engine.db'}")
    writer = sqlite3.connect(tmp_path / "engine.db", timeout=0, isolation_level=None)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        writer.execute("BEGIN IMMEDIATE")  # a webhook's intake holds the lock...
        writer.execute("INSERT INTO t VALUES (2)")
        with reading(make_session_factory(engine)) as session:  # ...and the read does not wait for it
            assert session.execute(text("SELECT x FROM t")).scalars().all() == [1]
            writer.execute("COMMIT")
            writer.execute("BEGIN IMMEDIATE")  # nor does the open read hold the lock against a writer
            writer.execute("INSERT INTO t VALUES (3)")
            assert session.execute(text("SELECT x FROM t")).scalars().all() == [1]  # its own snapshot
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        engine.dispose()


def test_writing_in_a_read_only_unit_of_work_is_refused(tmp_path):
    from connector.store.db import install_schema
    from connector.store.tenancy import Tenant

    engine = make_engine(f"sqlite:///{tmp_path / 'engine.db'}")
    install_schema(engine)
    factory = make_session_factory(engine)
    try:
        with pytest.raises(RuntimeError, match="read-only"):
            with reading(factory) as session:
                session.add(Tenant(id="t_new", name="New"))
        with reading(factory) as session:
            assert session.get(Tenant, "t_new") is None
    finally:
        engine.dispose()
