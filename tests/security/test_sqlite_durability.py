"""Issue 14, finding 11: a 202 says the answer is durably stored.

SQLite ran ``synchronous=NORMAL``: in WAL mode a commit is then not fsynced, so a power cut
or a kernel crash could lose answers already acknowledged. Every connection of the store
now runs ``synchronous=FULL`` (the WAL is fsynced at each commit) unless the operator
chooses ``RECOVERY_SQLITE_SYNCHRONOUS=NORMAL`` knowingly.
"""
import pytest
from sqlalchemy import text

from connector.store.db import make_engine
from tests.conftest import make_config, make_runtime
from tests.signing import answer_payload, post_answer

FULL, NORMAL = 2, 1  # PRAGMA synchronous answers a number


def level(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("PRAGMA synchronous")).scalar()


def test_the_connection_that_commits_a_webhook_fsyncs(sqlite_url, fake_zendesk, fake_hubspot):
    from connector.web.app import create_app

    rt = make_runtime(make_config(sqlite_url), zendesk=fake_zendesk, hubspot=fake_hubspot)
    try:
        client = create_app(rt.config, runtime=rt).test_client()
        assert post_answer(client, answer_payload()).status_code == 202
        # Every pooled connection, the one the webhook committed on included.
        pool = [rt.engine.raw_connection() for _ in range(3)]
        assert [c.driver_connection.execute("PRAGMA synchronous").fetchone()[0] for c in pool] == [FULL] * 3
        for c in pool:
            c.close()
    finally:
        rt.engine.dispose()


def test_normal_is_a_choice_and_a_typo_stops_start_up(sqlite_url):
    engine = make_engine(sqlite_url, synchronous="normal")
    assert level(engine) == NORMAL
    engine.dispose()
    with pytest.raises(ValueError, match="RECOVERY_SQLITE_SYNCHRONOUS"):
        make_engine(sqlite_url, synchronous="OFF")


def test_the_default_engine_is_full(sqlite_url):
    engine = make_engine(sqlite_url)
    assert level(engine) == FULL
    engine.dispose()
