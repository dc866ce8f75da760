"""The opt-in slow-write diagnostic (``RECOVERY_SQLITE_SLOW_WRITE_MS``): a write transaction that held
SQLite's write lock past the threshold is logged with the connector code that began it; reads, and
an engine without the setting, log nothing."""
import logging
import time

from sqlalchemy import text

from connector.store.db import make_engine, reading, transaction
from connector.store.models import Base
from connector.store.snapshots import DbLedger
from connector.store.write_units import write_unit

LOGGER = "connector.store.slow_writes"


def _watched(tmp_path, caplog, slow_write_ms):
    """An engine on a file database with the diagnostic at ``slow_write_ms``, its log captured
    from here on (the schema's creation may itself have been slow)."""
    from sqlalchemy.orm import sessionmaker

    engine = make_engine(f"sqlite:///{tmp_path}/slow.db", slow_write_ms=slow_write_ms)
    Base.metadata.create_all(engine)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    caplog.clear()
    return engine, sessionmaker(bind=engine, expire_on_commit=False)


def _hold_write(sessions, seconds: float) -> None:
    with transaction(sessions) as session:
        session.execute(text("SELECT 1"))
        time.sleep(seconds)  # the duration under test: a write holding the lock this long


def test_a_write_holding_the_lock_past_the_threshold_is_logged_and_a_read_is_not(tmp_path, caplog):
    engine, sessions = _watched(tmp_path, caplog, slow_write_ms=5)
    with reading(sessions) as session:
        session.execute(text("SELECT 1"))
        time.sleep(0.02)  # the duration under test: a read holds no write lock
    _hold_write(sessions, 0)
    assert caplog.records == []  # a quick write
    _hold_write(sessions, 0.02)
    [record] = caplog.records
    assert record.getMessage().startswith("sqlite write lock held ")
    engine.dispose()


def test_the_log_names_the_connector_code_that_began_the_write(tmp_path, caplog):
    engine, sessions = _watched(tmp_path, caplog, slow_write_ms=0.001)  # every write is "slow"
    DbLedger(sessions, "case:1").record("zendesk.ticket", "42")
    assert any("store/snapshots.py" in r.getMessage() and " record" in r.getMessage() for r in caplog.records)
    assert not any("42" in r.getMessage().split(" by ")[1] for r in caplog.records)  # code, never data
    engine.dispose()


def test_off_by_default(tmp_path, caplog):
    engine, sessions = _watched(tmp_path, caplog, slow_write_ms=0)
    _hold_write(sessions, 0.01)
    assert caplog.records == []
    engine.dispose()


def test_the_webhooks_write_unit_is_watched_too(tmp_path, caplog):
    # write_unit runs on the pooled DBAPI connection only while nothing listens for commits:
    # with the diagnostic on, intake's transaction is timed as every other write.
    engine, sessions = _watched(tmp_path, caplog, slow_write_ms=0.001)  # every write is "slow"
    with write_unit(sessions) as session:
        session.execute(text("SELECT 1"))
    assert any("sqlite write lock held " in r.getMessage() for r in caplog.records)
    engine.dispose()
