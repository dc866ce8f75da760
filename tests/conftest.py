"""Fixtures: a database per test (SQLite, and PostgreSQL where a server answers),
the Flask ``app``/``client``/``runner``, and fake vendor adapters."""
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from connector.config import DEFAULTS
from connector.infra.clock import system_clock
from connector.runtime import build_runtime
from tests.fakes import FakeHubSpot, FakeZendesk
from tests.signing import HUBSPOT_CLIENT_SECRET, SECRET, ZENDESK_WEBHOOK_SECRET

ADMIN_TOKEN = "admin-token-for-tests-0123"  # 26: servers refuse fewer than 24
PG_ADMIN_URL = os.environ.get("RECOVERY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # no server on this machine
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_database():
    """A throw-away database for this test session; skipped with the reason when no server."""
    reason = _pg_reachable()
    if reason and os.environ.get("RECOVERY_REQUIRE_POSTGRES"):
        pytest.fail(f"{reason} (RECOVERY_REQUIRE_POSTGRES is set, as in CI)")
    if reason:
        pytest.skip(reason)
    name = f"recovery_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'recovery.db'}"
        return
    yield _empty(request.getfixturevalue("pg_database"))


def _empty(url: str) -> str:
    from connector.store.models import Base

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:  # the schema's revision goes with its tables
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


@pytest.fixture
def postgres_url(pg_database):
    """An empty PostgreSQL database, for what only PostgreSQL does (several processes)."""
    return _empty(pg_database)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'recovery.db'}"


def make_config(db_url: str, **overrides) -> dict:
    config = dict(DEFAULTS)
    config.update(DATABASE_URL=db_url, WEBHOOK_SECRET=SECRET, ADMIN_TOKEN=ADMIN_TOKEN,
                  ZENDESK_WEBHOOK_SECRET=ZENDESK_WEBHOOK_SECRET, HUBSPOT_CLIENT_SECRET=HUBSPOT_CLIENT_SECRET,
                  JOB_BACKOFF_BASE_SECONDS=0.01, JOB_BACKOFF_CAP_SECONDS=0.05, JOB_MAX_ATTEMPTS=5)
    config.update(overrides)
    return config


def make_runtime(config: dict, *, zendesk=None, hubspot=None, clock=system_clock):
    return build_runtime(config, clock=clock, adapters=(zendesk, hubspot))


@pytest.fixture
def fake_zendesk():
    return FakeZendesk()


@pytest.fixture
def fake_hubspot():
    return FakeHubSpot()


@pytest.fixture
def runtime(db_url, fake_zendesk, fake_hubspot):
    rt = make_runtime(make_config(db_url), zendesk=fake_zendesk, hubspot=fake_hubspot)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def app(runtime):
    from connector.web.app import create_app
    return create_app(runtime.config, runtime=runtime)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin_headers():
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def drain(rt, max_rounds: int = 500) -> None:
    """Run the worker until no job is left to run, travelling the (frozen) clock
    to the next retry instead of sleeping."""
    from sqlalchemy import func, select

    from connector.jobs.worker import Worker
    from connector.store.db import transaction
    from connector.store.models import Job

    worker = Worker(rt, "test-worker")
    for _ in range(max_rounds):
        if worker.run_once():
            continue
        with transaction(rt.sessions) as session:
            next_run = session.scalar(select(func.min(Job.run_at)).where(Job.status == "queued"))
        if next_run is None:
            return
        rt.clock.now = max(rt.clock.now, next_run)
    raise AssertionError("jobs still pending after max_rounds")


def plan(rt) -> int:
    """Feed the new answers (``cases.feeding``: their jobs and delivery-log rows), then run the
    queued ``case.plan`` jobs (a new case's profile, cause, stages and first jobs: ``cases.planning``)
    and nothing else, as the worker would claim them: the worker's first steps after intake, for
    tests of what a planned case does next. Returns how many plans were run."""
    from sqlalchemy import select, update

    from connector.cases import feeding, planning
    from connector.jobs.queue import ClaimedJob
    from connector.store.db import transaction
    from connector.store.models import Job

    feeding.feed_answers(rt)
    with transaction(rt.sessions) as session:
        due = session.execute(select(Job.id, Job.ref_id, Job.tenant_id, Job.attempts).where(
            Job.kind == planning.KIND, Job.status == "queued").order_by(Job.id)).all()
        session.execute(update(Job).where(Job.id.in_([job.id for job in due]))
                        .values(status="running", attempts=Job.attempts + 1))
    by_tenant: dict[str, list] = {}
    for job in due:
        by_tenant.setdefault(job.tenant_id, []).append(
            ClaimedJob(job.id, planning.KIND, job.ref_id, job.tenant_id, job.attempts + 1, job.attempts == 0))
    for tenant_id, jobs in by_tenant.items():
        planning.plan_cases(rt.for_tenant(tenant_id), jobs)
    return len(due)


@pytest.fixture
def frozen_runtime(db_url, fake_zendesk, fake_hubspot):
    from connector.infra.clock import FrozenClock

    clock = FrozenClock(system_clock())
    rt = make_runtime(make_config(db_url), zendesk=fake_zendesk, hubspot=fake_hubspot, clock=clock)
    yield rt
    rt.engine.dispose()
