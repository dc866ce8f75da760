"""The ``recovery`` command: refusal without vendors, replay, schema install."""
import os
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli import main
from connector.store.db import transaction
from connector.store.migrations import head
from connector.store.models import Job
from tests.conftest import drain
from tests.fakes import rejection
from tests.test_worker import accept


@pytest.fixture
def cli_env(db_url, monkeypatch):
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RECOVERY_DATABASE_URL", db_url)
    return db_url


def test_serve_refuses_without_vendors_or_sandbox(cli_env):
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "neither Zendesk nor HubSpot is configured" in result.output


def test_worker_refuses_without_vendors(cli_env):
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code != 0 and "--sandbox" in result.output


def test_install_schema_is_idempotent(cli_env):
    for _ in range(2):
        result = CliRunner().invoke(main, ["install-schema"])
        assert result.exit_code == 0 and f"schema installed (revision {head()})" in result.output


def test_replay_dead_jobs(cli_env, frozen_runtime, fake_hubspot):
    fake_hubspot.fail_with(rejection())
    accept(frozen_runtime)
    drain(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:
        dead = session.scalars(select(Job.id).where(Job.status == "dead")).all()
    assert len(dead) == 1
    result = CliRunner().invoke(main, ["replay", "--all-dead"])
    assert result.exit_code == 0 and f"replayed 1 of 1 job(s): {dead[0]}" in result.output
    missing = CliRunner().invoke(main, ["replay", "9999", str(dead[0])])
    assert missing.exit_code == 1 and "replayed 0 of 2" in missing.stdout
    assert "job 9999 does not exist" in missing.stderr and f"job {dead[0]} is queued, not dead" in missing.stderr
    assert CliRunner().invoke(main, ["replay"]).exit_code == 2
    drain(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:
        assert session.get(Job, dead[0]).status == "done"


def test_a_malformed_webhook_secret_stops_start_up(cli_env, monkeypatch):
    monkeypatch.setenv("RECOVERY_WEBHOOK_SECRET", "whsec_not base64!")
    monkeypatch.setenv("RECOVERY_HUBSPOT_ACCESS_TOKEN", "pat-x")
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code != 0
    assert "RECOVERY_WEBHOOK_SECRET must be whsec_<base64>" in result.output
    assert "not base64" not in result.output  # the value itself is never echoed


def test_replay_with_nothing_dead_says_so_and_succeeds(cli_env, frozen_runtime):
    result = CliRunner().invoke(main, ["replay", "--all-dead"])
    assert result.exit_code == 0 and result.stdout == "no dead jobs: nothing to replay\n"
    assert result.stderr.startswith("database: ")  # which database it read


@pytest.mark.parametrize("command", [["replay", "--all-dead"], ["report"]])
def test_reading_commands_refuse_to_create_a_database(command, tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)
    missing = tmp_path / "recovery.db"  # run from a folder where the connector never ran
    monkeypatch.setenv("RECOVERY_DATABASE_URL", f"sqlite:///{missing}")
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [f"Error: no database at {missing} (RECOVERY_DATABASE_URL=sqlite:///{missing}); "
                                          "run this where the connector runs, or set RECOVERY_DATABASE_URL"]
    assert not missing.exists()


def test_reading_commands_refuse_a_database_without_the_connectors_tables(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()  # an empty SQLite file: somebody else's, or a typo's
    monkeypatch.setenv("RECOVERY_DATABASE_URL", f"sqlite:///{other}")
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 1 and "holds no connector tables" in result.stderr


def test_serve_warns_at_start_up_when_nothing_could_ever_pass(cli_env, monkeypatch):
    started = []
    monkeypatch.setattr("connector.web.serve.serve_app", lambda *args: started.append(args))
    monkeypatch.setenv("RECOVERY_HUBSPOT_ACCESS_TOKEN", "pat-test-token")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0 and len(started) == 1
    assert result.stderr.splitlines() == [
        "warning: RECOVERY_WEBHOOK_SECRET is not set: the generic survey webhook will answer 401 to every request",
        "warning: RECOVERY_ADMIN_TOKEN is not set: the admin API and the dashboard will refuse everyone"]
    monkeypatch.setenv("RECOVERY_WEBHOOK_SECRET", "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    monkeypatch.setenv("RECOVERY_ADMIN_TOKEN", "a-long-enough-admin-token-0123")
    assert CliRunner().invoke(main, ["serve"]).stderr == ""
