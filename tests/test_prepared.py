"""Prepared statements (store/prepared.py) store what the ORM would, on SQLite and PostgreSQL,
inside the caller's transaction; write_unit commits or rolls it back as a whole."""
import gc
import sqlite3
import threading
import time
import weakref
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, make_url, select, text

from connector.store.db import BUSY_TIMEOUT_SECONDS, install_schema, make_engine, make_session_factory, reading
from connector.store.kept_connections import KEPT_AT_MOST
from connector.store.models import Answer, Job
from connector.store.prepared import Prepared, PreparedInsert
from connector.store.write_units import write_unit

KEYS = ("tenant_id", "response_id", "source", "survey_type", "score", "category", "customer_email", "vip",
        "context", "submitted_at", "answer_body", "comment")
INSERT = PreparedInsert(Answer.__table__, KEYS, conflict=("tenant_id", "response_id"), returning="id")
BY_EMAIL = Prepared(select(Answer.id).where(Answer.customer_email == bindparam("email")).limit(1))


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    install_schema(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _answer(response_id: str, **values) -> dict:
    return dict(tenant_id="default", response_id=response_id, source="generic", survey_type="nps", score=3,
                category="detractor", customer_email="marie@example.com", vip=False, context={"k": 1},
                submitted_at=datetime(2026, 11, 20, 15, 37, tzinfo=timezone(timedelta(hours=1))),
                answer_body={"response_id": response_id, "case_id": None}, **values)


def test_insert_stores_what_the_orm_reads_back_and_fills_defaults(sessions):
    with write_unit(sessions) as session:
        first = INSERT.first(session, _answer("r1"))
    with reading(sessions) as session:
        stored = session.get(Answer, first[0])
        assert stored.context == {"k": 1} and stored.answer_body == {"response_id": "r1", "case_id": None}
        assert stored.submitted_at == datetime(2026, 11, 20, 14, 37, tzinfo=timezone.utc)
        assert stored.received_at is not None  # the model's default, filled in
        # Not given: SQL NULL, as a column the ORM leaves out (not JSON 'null', not '')
        assert session.execute(select(Answer.comment.is_(None), Answer.interim_case_id.is_(None))).one() == (True, True)


def test_a_taken_key_returns_no_row_and_changes_nothing(sessions):
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r1"))
        assert INSERT.execute(session, _answer("r1", comment="second")) == []
    with reading(sessions) as session:
        assert session.scalars(select(Answer.comment)).all() == [None]


def test_write_unit_rolls_back_prepared_and_orm_writes_together(sessions):
    with pytest.raises(RuntimeError), write_unit(sessions) as session:
        INSERT.execute(session, _answer("r1"))
        session.add(Job(kind="k", ref_id=1, dedupe_key="k:1"))  # the ORM session joins the same transaction
        session.flush()
        raise RuntimeError("after both")
    with reading(sessions) as session:
        assert session.execute(text("SELECT (SELECT count(*) FROM answers) + (SELECT count(*) FROM jobs)")).scalar() == 0


def test_write_unit_commits_prepared_and_orm_writes_together(sessions):
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r1"))
        session.add(Job(kind="k", ref_id=1, dedupe_key="k:1"))
    with reading(sessions) as session:
        assert BY_EMAIL.first(session, {"email": "marie@example.com"}) is not None
        assert session.scalars(select(Job.status)).all() == ["queued"]


def test_a_parameter_left_out_is_an_error_not_a_null(sessions):
    with write_unit(sessions) as session, pytest.raises(KeyError, match="email"):
        BY_EMAIL.execute(session, {})


def _kept_by_the_engine(engine) -> bool:
    return engine.dialect.name == "sqlite"  # a file database: write_units keeps its connections


def _busy_timeout(driver) -> int:
    return driver.execute("PRAGMA busy_timeout").fetchone()[0]


def test_a_unit_of_prepared_statements_alone_builds_no_sqlalchemy_connection_on_sqlite(sessions):
    # Issue 16: SQLAlchemy's Connection, begin and commit cost a webhook ~0.3 ms of CPU for the same
    # BEGIN IMMEDIATE and COMMIT; on SQLite the hot path runs on the thread's DBAPI connection.
    engine = sessions.kw["bind"]
    connections, connects = [], []
    event.listen(engine, "engine_connect", connections.append)
    event.listen(engine, "connect", lambda *args: connects.append(args))
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r1"))
    assert connections == ([] if engine.dialect.name == "sqlite" else connections)
    assert engine.pool.checkedout() == (1 if _kept_by_the_engine(engine) else 0)
    with reading(sessions) as session:
        assert session.scalars(select(Answer.response_id)).all() == ["r1"]


def test_the_engine_keeps_its_write_connection_between_units_out_of_any_transaction(sessions):
    # Issue 16: the pool's checkout and return and two busy_timeout switches per webhook were ~35 µs.
    engine = sessions.kw["bind"]
    if not _kept_by_the_engine(engine):
        pytest.skip("PostgreSQL units run on an engine Connection from the pool")
    drivers = []
    for response_id in ("r1", "r2", "r3"):
        with write_unit(sessions) as session:
            INSERT.execute(session, _answer(response_id))
            pooled = session.connection().connection
            drivers.append(pooled.driver_connection)
            assert pooled.driver_connection.in_transaction and _busy_timeout(pooled.driver_connection) == 0
        assert not pooled.driver_connection.in_transaction  # committed: no lock held between webhooks
    assert drivers[0] is drivers[1] is drivers[2] and engine.pool.checkedout() == 1


def test_a_server_with_a_thread_per_request_reuses_the_kept_connection(sessions):
    # werkzeug's server runs every request on a new thread: a connection held per thread was left
    # checked out by each finished thread, and the pool ran dry after fifteen.
    engine = sessions.kw["bind"]
    if not _kept_by_the_engine(engine):
        pytest.skip("PostgreSQL units run on an engine Connection from the pool")
    drivers = []

    def one_unit(response_id):
        with write_unit(sessions) as session:
            INSERT.execute(session, _answer(response_id))
            drivers.append(session.connection().connection.driver_connection)

    for number in range(30):
        thread = threading.Thread(target=one_unit, args=(f"r{number}",))
        thread.start()
        thread.join()
    assert len(drivers) == 30 and all(driver is drivers[0] for driver in drivers)
    assert engine.pool.checkedout() == 1


def test_units_at_once_write_on_their_own_connections_and_a_few_are_kept(sessions):
    engine = sessions.kw["bind"]
    if not _kept_by_the_engine(engine):
        pytest.skip("PostgreSQL units run on an engine Connection from the pool")
    first_inside, go, drivers = threading.Event(), threading.Event(), []

    def one_unit(response_id, hold):
        with write_unit(sessions) as session:  # takes its connection, then waits for the write lock
            INSERT.execute(session, _answer(response_id))
            drivers.append(session.connection().connection.driver_connection)
            if hold:
                first_inside.set()
                go.wait(10)

    holder = threading.Thread(target=one_unit, args=("r0", True))
    holder.start()
    assert first_inside.wait(10)
    others = [threading.Thread(target=one_unit, args=(f"r{n}", False)) for n in range(1, KEPT_AT_MOST + 2)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while engine.pool.checkedout() < KEPT_AT_MOST + 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # polled: each waiting unit has taken a connection of its own
    go.set()
    for thread in [holder, *others]:
        thread.join(10)
    assert len({id(driver) for driver in drivers}) == KEPT_AT_MOST + 2
    assert engine.pool.checkedout() == KEPT_AT_MOST  # the others went back to the pool


def test_a_unit_waits_for_another_writer_with_the_held_connections_zero_timeout(sessions, db_url):
    # The held connection's busy timeout is 0: its BEGIN IMMEDIATE is retried, not refused.
    engine = sessions.kw["bind"]
    if not _kept_by_the_engine(engine):
        pytest.skip("SQLite's write lock")
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r1"))
    other = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    finished = threading.Event()
    waiting = threading.Thread(target=lambda: (_write_r2(sessions), finished.set()))
    waiting.start()
    assert not finished.wait(0.2)  # the lock is taken: the unit waits for it
    other.execute("ROLLBACK")
    other.close()
    waiting.join(10)
    assert finished.is_set()
    with reading(sessions) as session:
        assert session.scalars(select(Answer.response_id).order_by(Answer.id)).all() == ["r1", "r2"]


def _write_r2(sessions) -> None:
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r2"))


def test_dispose_closes_the_held_connections_and_the_next_unit_takes_a_new_one(sessions):
    engine = sessions.kw["bind"]
    if not _kept_by_the_engine(engine):
        pytest.skip("PostgreSQL units run on an engine Connection from the pool")
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r1"))
        first = session.connection().connection.driver_connection
    engine.dispose()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        first.execute("SELECT 1")
    with write_unit(sessions) as session:
        INSERT.execute(session, _answer("r2"))
        assert session.connection().connection.driver_connection is not first


@pytest.mark.parametrize("orm", [False, True], ids=["prepared only", "with the ORM"])
def test_every_unit_leaves_its_connection_clean_kept_or_back_in_the_pool(sessions, orm):
    # Prepared statements only: the thread keeps its connection, out of any transaction. With the
    # ORM joined, the session's connection goes back to the pool, its busy timeout restored.
    engine = sessions.kw["bind"]

    def write(response_id: str) -> None:
        INSERT.execute(session, _answer(response_id))
        if orm:
            session.add(Job(kind="k", ref_id=1, dedupe_key=f"k:{response_id}"))

    with write_unit(sessions) as session:
        write("r1")
    with pytest.raises(RuntimeError), write_unit(sessions) as session:
        write("r2")
        driver = session.connection().connection.driver_connection
        raise RuntimeError("rolled back")
    held = _kept_by_the_engine(engine) and not orm
    assert engine.pool.checkedout() == (1 if held else 0)
    if engine.dialect.name == "sqlite":
        assert not driver.in_transaction
        assert _busy_timeout(driver) == (0 if held else BUSY_TIMEOUT_SECONDS * 1000)
    with write_unit(sessions) as session:  # the connection it had is clean: a new unit begins on it
        write("r3")
    with reading(sessions) as session:
        assert session.scalars(select(Answer.response_id).order_by(Answer.id)).all() == ["r1", "r3"]
        assert session.scalars(select(Job.dedupe_key).order_by(Job.id)).all() == (["k:r1", "k:r3"] if orm else [])


def test_a_unit_holds_sqlites_write_lock_from_its_start(tmp_path):
    # BEGIN IMMEDIATE, not deferred: a second writer waits from the first statement on, so a
    # read-then-write never fails SQLITE_BUSY halfway (store.db).
    engine = make_engine(f"sqlite:///{tmp_path}/lock.db")
    install_schema(engine)
    other = sqlite3.connect(f"{tmp_path}/lock.db", isolation_level=None, timeout=0)
    with write_unit(make_session_factory(engine)) as session:
        BY_EMAIL.execute(session, {"email": "marie@example.com"})  # a read only, so far
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    engine.dispose()


def test_a_statement_of_one_parameter_and_one_without_run_as_any_other(sessions):
    # The values are picked in statement order in one call; one name, or none, is a tuple too.
    by_id = Prepared(select(Answer.response_id).where(Answer.id == bindparam("id")))
    count = Prepared(select(text("count(*)")).select_from(Answer.__table__))
    with write_unit(sessions) as session:
        first = INSERT.first(session, _answer("r1"))
        assert by_id.execute(session, {"id": first[0]}) == [("r1",)]
        assert count.execute(session, {}) == [(1,)]


def test_defaults_are_filled_per_row_and_a_given_value_wins(sessions):
    jobs = PreparedInsert(Job.__table__, ("kind", "ref_id", "dedupe_key", "status"))
    with write_unit(sessions) as session:
        jobs.execute_many(session, [dict(kind="k", ref_id=1, dedupe_key="k:1", status="done"),
                                    dict(kind="k", ref_id=2, dedupe_key="k:2", status="queued")])
    with reading(sessions) as session:
        rows = session.execute(select(Job.status, Job.attempts, Job.tenant_id, Job.run_at).order_by(Job.id)).all()
    assert [(status, attempts, tenant) for status, attempts, tenant, _ in rows] == [
        ("done", 0, "default"), ("queued", 0, "default")]
    assert all(run_at is not None and run_at.tzinfo is not None for *_, run_at in rows)  # the model's utcnow


def test_an_engine_no_one_uses_any_more_is_collected_with_its_kept_connections(tmp_path):
    # The kept connections are listed per engine in a weak-keyed table: holding the engine from
    # there kept every test's engine, pool and open file alive.
    engine = make_engine(f"sqlite:///{tmp_path}/gone.db")
    install_schema(engine)
    with write_unit(make_session_factory(engine)) as session:
        INSERT.execute(session, _answer("r1"))
    collected = weakref.ref(engine)
    engine.dispose()
    del engine, session
    gc.collect()
    assert collected() is None
