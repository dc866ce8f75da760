"""Start-up errors a person can act on: one line naming the variable, exit 1, never a traceback.

Through the real entry point (``python -m connector``, what the ``recovery`` script runs), as a person
would meet them.
"""
import os
import shutil
import subprocess
import sys

import pytest

from connector.mappings import DEFAULT_MAPPINGS_DIR

RECOVERY = [sys.executable, "-m", "connector"]


def clean_env(**env) -> dict:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}, **env}


def run(tmp_path, *args, **env):
    done = subprocess.run([*RECOVERY, *args], cwd=tmp_path, env=clean_env(**env), capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("url, said", [
    ("postgres://who:pw@localhost/db", "RECOVERY_DATABASE_URL=postgres://who:***@localhost/db: write "
                                       "postgresql+psycopg://… (psycopg 3 is the driver installed)"),
    ("not a url", "RECOVERY_DATABASE_URL is not a database URL: 'not a url' (e.g. sqlite:///recovery.db or "
                  "postgresql+psycopg://user@host:5432/recovery)"),
    ("sqlite:////nonexistent-folder/x.db", "RECOVERY_DATABASE_URL=sqlite:////nonexistent-folder/x.db: the folder "
                                           "/nonexistent-folder does not exist"),
    ("postgresql+psycopg://no_such_role_here@127.0.0.1:5432/postgres",
     'role "no_such_role_here" does not exist'),
])
def test_a_bad_database_url_is_one_line_naming_the_variable(tmp_path, url, said):
    code, out, err = run(tmp_path, "serve", "--sandbox", "--port", "0", RECOVERY_DATABASE_URL=url)
    if "no_such_role" in url and "does not exist" not in err and not os.environ.get("RECOVERY_REQUIRE_POSTGRES"):
        pytest.skip("no PostgreSQL server answers at 127.0.0.1:5432")  # the other three need none
    assert code == 1 and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("Error: ") and said in line
    assert "pw" not in line.replace("psycopg", "")  # the password is hidden


def test_the_worker_checks_the_url_the_same_way(tmp_path):
    code, _, err = run(tmp_path, "worker", RECOVERY_DATABASE_URL="mysql://a@b/c", RECOVERY_SANDBOX="true")
    assert code == 1 and err.strip().splitlines() == [
        "Error: RECOVERY_DATABASE_URL=mysql://a@b/c: only SQLite and PostgreSQL are supported "
        "(e.g. sqlite:///recovery.db or postgresql+psycopg://user@host:5432/recovery)"]


@pytest.mark.parametrize("env, said", [
    ({"RECOVERY_CONFIG_FILE": "/nowhere/settings.json"}, "RECOVERY_CONFIG_FILE=/nowhere/settings.json: no such file"),
    ({"RECOVERY_WORKER_THREADS": "two"}, "RECOVERY_WORKER_THREADS must be a whole number (got 'two')"),
    ({"RECOVERY_SANDBOX": "maybe"}, "RECOVERY_SANDBOX must be true or false (got 'maybe')"),
    ({"RECOVERY_MAPPINGS_DIR": "/nowhere"}, "RECOVERY_MAPPINGS_DIR=/nowhere: no such folder"),
    ({"RECOVERY_HUBSPOT_ACCESS_TOKEN": "pat-x", "RECOVERY_WEBHOOK_SECRET": "hunter2"},
     "RECOVERY_WEBHOOK_SECRET must be whsec_<base64> (several separated by spaces)"),
])
def test_a_bad_setting_is_one_line_naming_it(tmp_path, env, said):
    code, _, err = run(tmp_path, "serve", "--sandbox", "--port", "0", **env)
    assert code == 1 and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("Error: ") and said in line
    assert not (tmp_path / "recovery.db").exists()  # stopped before creating an empty database


def test_a_config_file_that_is_not_json_names_where(tmp_path):
    (tmp_path / "settings.json").write_text('{"WORKER_THREADS": 2,,}', encoding="utf-8")
    code, _, err = run(tmp_path, "serve", "--sandbox", RECOVERY_CONFIG_FILE="settings.json")
    assert code == 1 and err.strip().splitlines() == [
        "Error: RECOVERY_CONFIG_FILE=settings.json: not valid JSON (line 1, column 22: Expecting property name "
        "enclosed in double quotes)"]


def test_a_misspelled_mapping_field_is_named_with_its_file(tmp_path):
    mappings = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, mappings)
    rules = mappings / "rules.json"
    rules.write_text(rules.read_text(encoding="utf-8").replace('"promoter_min": 9', '"promotor_min": 9'),
                     encoding="utf-8")
    code, _, err = run(tmp_path, "serve", "--sandbox", RECOVERY_MAPPINGS_DIR=str(mappings))
    assert code == 1 and err.strip().splitlines() == [
        f"Error: {rules}: nps.promoter_min: Missing data for required field.; nps.promotor_min: Unknown field."]


def test_half_a_zendesk_account_names_what_is_missing(tmp_path):
    code, _, err = run(tmp_path, "worker", RECOVERY_ZENDESK_SUBDOMAIN="acme")
    assert code == 1 and err.strip().splitlines() == [
        "Error: Zendesk is half-configured: set RECOVERY_ZENDESK_EMAIL, RECOVERY_ZENDESK_API_TOKEN too "
        "(or unset the others)"]


def _mappings(tmp_path):
    mappings = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, mappings)
    return mappings


def test_a_misspelled_mapping_file_is_named_with_the_name_it_should_have(tmp_path):
    mappings = _mappings(tmp_path)
    (mappings / "rules.json").rename(mappings / "rule.json")
    code, _, err = run(tmp_path, "serve", "--sandbox", RECOVERY_MAPPINGS_DIR="mappings")
    assert code == 1 and err.strip().splitlines() == [
        "Error: mappings/rule.json: not a mapping file the connector reads: rename it rules.json"]
    assert not (tmp_path / "recovery.db").exists()


def test_a_mapping_file_that_is_not_json_is_one_line_and_leaves_no_database(tmp_path):
    mappings = _mappings(tmp_path)
    (mappings / "surveys" / "typeform.json").write_text('{"fields": ', encoding="utf-8")
    code, _, err = run(tmp_path, "serve", "--sandbox", "--port", "0", RECOVERY_MAPPINGS_DIR="mappings")
    assert code == 1 and err.strip().splitlines() == [
        "Error: mappings/surveys/typeform.json: not valid JSON: Expecting value: line 1 column 12 (char 11)"]
    assert not (tmp_path / "recovery.db").exists()


def test_a_start_without_secrets_warns_at_start_not_at_the_first_401(tmp_path):
    worker = subprocess.Popen([*RECOVERY, "worker"], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                              env=clean_env(RECOVERY_HUBSPOT_ACCESS_TOKEN="pat-x",
                                            RECOVERY_HUBSPOT_BASE_URL="http://127.0.0.1:9"))
    try:
        warnings = [worker.stderr.readline().strip() for _ in range(2)]
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert warnings == [
        "warning: RECOVERY_WEBHOOK_SECRET is not set: the generic survey webhook will answer 401 to every request",
        "warning: RECOVERY_ADMIN_TOKEN is not set: the admin API and the dashboard will refuse everyone"]


@pytest.mark.parametrize("command", [["report"], ["replay", "--all-dead"], ["replay", "5"]])
def test_reading_commands_refuse_a_missing_database_and_create_none(tmp_path, command):
    code, out, err = run(tmp_path, *command)
    assert code == 1 and out == "" and err.strip().splitlines() == [
        f"Error: no database at {tmp_path / 'recovery.db'} (RECOVERY_DATABASE_URL=sqlite:///recovery.db); run "
        "this where the connector runs, or set RECOVERY_DATABASE_URL"]
    assert not (tmp_path / "recovery.db").exists()


def test_replay_says_there_is_nothing_dead_and_which_job_does_not_exist(tmp_path):
    url = f"sqlite:///{tmp_path / 'connector.db'}"
    assert run(tmp_path, "install-schema", RECOVERY_DATABASE_URL=url)[0] == 0
    code, out, err = run(tmp_path, "replay", "--all-dead", RECOVERY_DATABASE_URL=url)
    assert (code, out, err) == (0, "no dead jobs: nothing to replay\n", f"database: {url}\n")
    code, out, err = run(tmp_path, "replay", "99999", RECOVERY_DATABASE_URL=url)
    assert code == 1 and "Traceback" not in err
    assert err.splitlines() == [f"database: {url}", "job 99999 does not exist"]
