"""The schema's migrations (SQLite and PostgreSQL): they build exactly the models' schema, a
database from before migrations is upgraded in place with its rows kept, and several
processes installing at once leave one schema."""
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from connector.store.db import install_schema, make_engine
from connector.store.migrations import BASELINE, SchemaTooNew, alembic_config, current_revision, head
from connector.store.models import Base
from tests.threads import race


def _differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def _migrate(engine, to: str) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), to)


def test_the_migrations_alone_build_the_models_schema(db_url):
    # Fails when a model changes without a migration: write one with `alembic revision --autogenerate`.
    engine = make_engine(db_url)
    _migrate(engine, "head")
    assert _differences(engine) == []
    engine.dispose()


def test_a_new_database_is_created_at_the_newest_revision_and_a_second_install_changes_nothing(db_url):
    engine = make_engine(db_url)
    assert install_schema(engine) == head() != BASELINE
    assert _differences(engine) == []
    with engine.connect() as connection:
        assert current_revision(connection) == head()
        tables = set(inspect(connection).get_table_names())
    assert install_schema(engine) == head()
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == tables
        assert connection.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_a_database_from_before_migrations_is_upgraded_and_keeps_its_rows(db_url):
    # The last release without migrations: the baseline tables and no version table.
    engine = make_engine(db_url)
    _migrate(engine, BASELINE)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("INSERT INTO rate_buckets (name, tokens, updated_at) "
                                "VALUES ('default:hubspot', 42, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO deliveries (tenant_id, source, received_at, status_code, outcome) "
                                "VALUES ('default', 'typeform', CURRENT_TIMESTAMP, 202, 'accepted')"))
        assert "tenants" not in inspect(connection).get_table_names()
    assert install_schema(engine) == head()
    assert _differences(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT tokens FROM rate_buckets")).scalar() == 42
        # SQLite adds the column by copying the table (0003): the row is still there.
        assert connection.execute(text("SELECT source, response_id FROM deliveries")).all() == [("typeform", None)]
        assert {"tenants", "installations"} <= set(inspect(connection).get_table_names())
    engine.dispose()


def test_a_closed_case_from_before_interim_answers_keeps_its_outcome(db_url):
    # 0005 made later answers interim; a case closed under the old rule keeps its history.
    engine = make_engine(db_url)
    _migrate(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO cases (id, tenant_id, status, customer_email, score, category, severity, profile,"
            " profile_signals, value_tier, priority, zendesk_synced, hubspot_synced, hubspot_ticket_url_synced,"
            " sync_failed, outcome, opened_at, closed_at, escalations) VALUES (7, 'default', 'closed',"
            " 'marie@example.com', 3, 'detractor', 'high', 'disappointed', '[]', 'standard', 'normal', TRUE,"
            " TRUE, TRUE, FALSE, 'promoter', '2026-01-05 09:00:00', '2026-01-12 10:00:00', 0)"))
        connection.execute(text(
            "INSERT INTO answers (id, tenant_id, response_id, source, survey_type, score, category,"
            " customer_email, vip, context, submitted_at, received_at, case_id, answer_body) VALUES (11,"
            " 'default', 'srv-later', 'typeform', 'csat', 5, 'promoter', 'marie@example.com', FALSE, '{}',"
            " '2026-01-12 10:00:00', '2026-01-12 10:00:00', 7, '{}')"))  # a CSAT a week on: now interim
        connection.execute(text("UPDATE cases SET closing_answer_id = 11 WHERE id = 7"))
    before = _closed_case(engine)
    assert install_schema(engine) == head()  # as the connector starts: on SQLite, 0008 copies `cases`
    assert _closed_case(engine) == before
    assert before[:3] == ("closed", "promoter", 11)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT case_id, interim_case_id FROM answers WHERE id = 11")).one() == (7, None)
        if connection.dialect.name == "sqlite":  # off for the migration only: the connection goes back enforcing
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def _closed_case(engine) -> tuple:
    with engine.connect() as connection:
        return tuple(connection.execute(text(
            "SELECT status, outcome, closing_answer_id, closed_at FROM cases WHERE id = 7")).one())


def test_processes_installing_at_once_leave_one_schema(db_url):
    engines = [make_engine(db_url) for _ in range(4)]
    revisions = []
    errors = race(lambda name: revisions.append(install_schema(engines[int(name[1:])])))
    assert errors == [] and revisions == [head()] * 4
    with engines[0].connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    assert _differences(engines[0]) == []
    for engine in engines:
        engine.dispose()


def test_a_database_from_a_newer_connector_is_refused_untouched(db_url):
    engine = make_engine(db_url)
    install_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="9999"):
        install_schema(engine)
    with engine.connect() as connection:
        assert current_revision(connection) == "9999"
    engine.dispose()


def test_every_revision_downgrades_and_upgrades_again(db_url):
    engine = make_engine(db_url)
    _migrate(engine, "head")
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    _migrate(engine, "head")
    assert _differences(engine) == []
    engine.dispose()


def test_the_cases_index_of_systemic_issues_holds_only_cases_in_one(db_url):
    # A new case has no systemic issue: indexing its NULL cost every detractor's intake commit one
    # more page (on SQLite a WAL frame). A look-up of an issue's members still uses the index.
    engine = make_engine(db_url)
    install_schema(engine)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            definition = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_cases_systemic_issue_id'")).scalar()
            plan = " ".join(str(row[-1]) for row in connection.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE systemic_issue_id = 7")))
            assert "ix_cases_systemic_issue_id" in plan
        else:
            definition = connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_cases_systemic_issue_id'")).scalar()
    assert "systemic_issue_id IS NOT NULL" in definition
    engine.dispose()


def test_answers_from_before_the_outbox_count_as_fed_and_the_feeder_finds_none(db_url):
    # 0025: the worker feeds each new answer (its job, its delivery-log row); an answer stored
    # before it had both written at intake, so feeding it again would queue and log it twice.
    from types import SimpleNamespace

    from sqlalchemy.orm import sessionmaker

    from connector.cases import feeding
    from connector.infra.clock import system_clock

    engine = make_engine(db_url)
    _migrate(engine, "0024")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO answers (id, tenant_id, response_id, source, survey_type, score, category,"
            " customer_email, vip, context, submitted_at, received_at, answer_body) VALUES (11, 'default',"
            " 'srv-old', 'generic', 'nps', 9, 'promoter', 'paul@example.com', FALSE, '{}',"
            " '2026-01-12 10:00:00', '2026-01-12 10:00:00', '{}')"))
    assert install_schema(engine) == head()
    with engine.connect() as connection:
        fed, received = connection.execute(text("SELECT fed_at, received_at FROM answers WHERE id = 11")).one()
        assert fed is not None and str(fed)[:19] == str(received)[:19]
    host = SimpleNamespace(sessions=sessionmaker(bind=engine, expire_on_commit=False), clock=system_clock)
    assert feeding.feed_answers(host) == 0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM jobs")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM deliveries")).scalar() == 0
    engine.dispose()
