"""Each demo starts from a fresh database, or says clearly that it continues one (never a deployment's)."""
import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from connector.cli.demo import DEMO_DATABASE, _held_locks, choose_database, port_in_use


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RECOVERY_DATABASE_URL", "restored-at-teardown")
    monkeypatch.delenv("RECOVERY_DATABASE_URL")  # choose_database sets it; monkeypatch takes it away after
    yield tmp_path
    while _held_locks:  # what the end of the demo's process does
        _held_locks.pop().close()


def with_cases(path, count: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY)")
        db.executemany("INSERT INTO cases (id) VALUES (?)", [(i,) for i in range(1, count + 1)])


def test_a_demo_starts_from_a_fresh_database_of_its_own(folder):
    with_cases(folder / DEMO_DATABASE, 5)
    (folder / f"{DEMO_DATABASE}-wal").write_bytes(b"earlier run")
    with_cases(folder / "recovery.db", 2)  # a deployment's database in the same folder
    said = choose_database(keep=False)
    assert said == f"database: {folder / DEMO_DATABASE}, fresh for this demo (--continue keeps the previous demo's)"
    assert not (folder / DEMO_DATABASE).exists() and not (folder / f"{DEMO_DATABASE}-wal").exists()
    assert (folder / "recovery.db").exists()
    assert os.environ["RECOVERY_DATABASE_URL"] == f"sqlite:///{folder / DEMO_DATABASE}"


def test_continue_keeps_the_previous_demo_and_says_what_that_means(folder):
    with_cases(folder / DEMO_DATABASE, 5)
    said = choose_database(keep=True)
    assert said.startswith(f"database: {folder / DEMO_DATABASE}, continued with --continue: 5 case(s) of earlier demos")
    assert "will close as failed" in said
    with sqlite3.connect(folder / DEMO_DATABASE) as db:
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (5,)


def test_a_database_named_by_the_environment_is_never_deleted(folder, monkeypatch):
    url = f"sqlite:///{folder / 'mine.db'}"
    monkeypatch.setenv("RECOVERY_DATABASE_URL", url)
    assert choose_database(keep=False) == f"database: {url} (RECOVERY_DATABASE_URL), no earlier case"
    assert not (folder / "mine.db").exists()  # not even created by the count
    with_cases(folder / "mine.db", 3)
    said = choose_database(keep=False)
    assert said.startswith(f"database: {url} (RECOVERY_DATABASE_URL), continued: 3 earlier case(s)")
    with sqlite3.connect(folder / "mine.db") as db:
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (3,)


def test_a_second_demo_in_the_same_folder_deletes_nothing_while_the_first_runs(folder):
    with_cases(folder / DEMO_DATABASE, 5)
    holder = subprocess.Popen([sys.executable, "-c", "import sys; from connector.cli.demo import choose_database; "
                               "print(choose_database(True), flush=True); sys.stdin.read()"],
                              cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={k: v for k, v in os.environ.items() if k != "RECOVERY_DATABASE_URL"})
    try:
        assert "continued with --continue" in holder.stdout.readline()  # the first demo holds the folder
        from click import ClickException
        with pytest.raises(ClickException, match="another demo is running in this folder on recovery-demo.db"):
            choose_database(keep=False)
        assert (folder / DEMO_DATABASE).exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert "fresh for this demo" in choose_database(keep=False)  # once it stopped


def test_a_port_in_use_is_found_before_anything_is_deleted():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert port_in_use(listener.getsockname()[1])
    assert not port_in_use(0)


def test_the_demo_waits_for_answers_not_fed_yet_then_for_their_jobs(runtime, client):
    """An accepted answer has no job until the worker feeds it (``cases.feeding``): a summary
    printed then showed no ticket and no task (seen when the worker started late, under load)."""
    from connector.cases.feeding import feed_answers
    from connector.cli.demo import work_left
    from connector.store.db import reading
    from tests.conftest import drain
    from tests.signing import answer_payload, post_answer

    def left() -> int:
        with reading(runtime.sessions) as session:
            return work_left(session, runtime.clock())

    assert left() == 0
    assert post_answer(client, answer_payload(score=2)).status_code == 202
    assert left() == 1  # the answer, no job yet
    feed_answers(runtime)
    assert left() == 1  # its case's plan
    drain(runtime)
    assert left() == 0
