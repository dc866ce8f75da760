"""SQLite's WAL is copied back by a thread, not inside a webhook's commit."""
import sqlite3
import threading

from sqlalchemy import text

from connector.store.checkpoint import BACKSTOP_PAGES, start_checkpoints
from connector.store.db import make_engine
from tests.e2e.conftest import wait_until


def _rows_in_main_file(path) -> int:
    # immutable=1 reads the database file alone, ignoring the WAL: rows show there only
    # once a checkpoint has copied them back.
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as reader:
        try:
            return reader.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        except sqlite3.OperationalError:  # the table itself is still only in the WAL
            return -1


def test_commits_leave_the_checkpoint_to_the_thread(tmp_path):
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
        wait_until(lambda: _rows_in_main_file(path) == 3, timeout=10, interval=0.05)
    finally:
        engine.dispose()


def test_the_thread_stops_when_the_engine_is_disposed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'stop.db'}")
    thread = start_checkpoints(engine, interval=0.01)
    assert thread.is_alive()
    engine.dispose()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_memory_databases_get_no_thread():
    before = {t for t in threading.enumerate() if t.name == "sqlite-checkpoint"}
    engine = make_engine("sqlite://")
    after = {t for t in threading.enumerate() if t.name == "sqlite-checkpoint"}
    assert after <= before  # none started (an earlier test's engine may finish stopping its own meanwhile)
    engine.dispose()


def test_the_thread_leaves_the_engines_pool_at_one_connection(tmp_path):
    # A pool of two hands its connections out in turn: every other webhook ran on the one whose
    # page cache the other had made stale, and read ~25 pages back from the WAL.
    path = tmp_path / "pool.db"
    engine = make_engine(f"sqlite:///{path}")
    start_checkpoints(engine, interval=0.01)  # a second, quick thread: checkpoints while the test holds one
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect():  # checked out while the threads checkpoint
            wait_until(lambda: _rows_in_main_file(path) == 1, timeout=10, interval=0.05)
        assert engine.pool.checkedin() == 1
    finally:
        engine.dispose()
