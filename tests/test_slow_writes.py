"""The opt-in slow-write diagnostic (``RECOVERY_SQLITE_SLOW_WRITE_MS``): a write transaction that held
SQLite's write lock past the threshold is logged with the connector code that began it; reads, and
an engine without the setting, log nothing."""
import logging
import time

from sqlalchemy import text

from connector.store.db import make_engine, reading, transaction
from connector.store.models import Base
from connector.store.snapshots import DbLedger

LOGGER = "connector.store.slow_writes"


def _sessions(tmp_path, slow_write_ms):
    from sqlalchemy.orm import sessionmaker

    engine = make_engine(f"sqlite:///{tmp_path}/slow.db", slow_write_ms=slow_write_ms)
    Base.metadata.create_all(engine)
    return engine, sessionmaker(bind=engine, expire_on_commit=False)


def test_a_write_holding_the_lock_past_the_threshold_is_logged_and_a_read_is_not(tmp_path, caplog):
    engine, sessions = _sessions(tmp_path, slow_write_ms=5)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    caplog.clear()  # the schema's creation may itself have been slow
    with reading(sessions) as session:
        session.execute(text("SELECT 1"))
        time.sleep(0.02)  # the duration under test: a read holds no write lock
    with transaction(sessions) as session:
        session.execute(text("SELECT 1"))
    assert caplog.records == []  # a quick write
    with transaction(sessions) as session:
        session.execute(text("SELECT 1"))
        time.sleep(0.02)  # the duration under test: a write holding the lock 20 ms
    [record] = caplog.records
    assert record.getMessage().startswith("sqlite write lock held ")
    engine.dispose()


def test_the_log_names_the_connector_code_that_began_the_write(tmp_path, caplog):
    engine, sessions = _sessions(tmp_path, slow_write_ms=0.001)  # every write is "slow"
    caplog.set_level(logging.WARNING, logger=LOGGER)
    caplog.clear()  # the schema's creation may itself have been slow
    DbLedger(sessions, "case:1").record("zendesk.ticket", "42")
    assert any("store/snapshots.py" in r.getMessage() and " record" in r.getMessage() for r in caplog.records)
    assert not any("42" in r.getMessage().split(" by ")[1] for r in caplog.records)  # code, never data
    engine.dispose()


def test_off_by_default(tmp_path, caplog):
    engine, sessions = _sessions(tmp_path, slow_write_ms=0)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    caplog.clear()  # the schema's creation may itself have been slow
    with transaction(sessions) as session:
        session.execute(text("SELECT 1"))
        time.sleep(0.01)
    assert caplog.records == []
    engine.dispose()
