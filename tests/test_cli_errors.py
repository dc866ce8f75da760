"""Start-up errors a person can act on: one line naming the variable, exit 1, never a traceback.

Through the installed ``recovery`` entry point, as a person would meet them.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

RECOVERY = Path(sys.executable).with_name("recovery")


def run(tmp_path, *args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    done = subprocess.run([str(RECOVERY), *args], cwd=tmp_path, env={**clean, **env}, capture_output=True,
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
