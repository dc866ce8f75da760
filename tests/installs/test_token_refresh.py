"""Access tokens on demand: refreshed before expiry, once per account, purged when refused."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from connector.installs import store
from connector.installs.oauth import Grant, InvalidGrant
from connector.installs.tokens import NotConnected, TokenProvider
from connector.jobs.queue import enqueue
from connector.ports.errors import RetryableError
from connector.store.db import transaction
from connector.store.models import Job
from tests.installs.support import START, grant, oauth_runtime


class SlowOAuth:
    """A vendor whose refresh takes a while and, like Zendesk, rotates the refresh token."""

    def __init__(self, clock, gate: threading.Event | None = None):
        self.clock, self.gate, self.calls, self.lock = clock, gate, [], threading.Lock()
        self.valid_refresh = "refresh-1"

    def refresh(self, refresh_token, account, now):
        with self.lock:
            self.calls.append(refresh_token)
        if self.gate is not None:
            assert self.gate.wait(10)
        with self.lock:
            if refresh_token != self.valid_refresh:
                raise InvalidGrant("Zendesk OAuth refresh: HTTP 400 invalid_grant")
            n = len(self.calls)
            self.valid_refresh = f"refresh-{n + 1}"
        return Grant(f"access-{n + 1}", self.valid_refresh, now + timedelta(hours=2), account)


@pytest.fixture
def rt(db_url):
    rt = oauth_runtime(db_url)
    with transaction(rt.sessions) as session:
        store.save_grant(session, rt.directory.cipher, "t_acme", "zendesk", grant("acme", minutes=30), START)
    yield rt
    rt.engine.dispose()


def provider(rt, oauth):
    return TokenProvider(rt.sessions, rt.directory.cipher, oauth, "t_acme", "zendesk", rt.clock)


def test_a_valid_token_is_used_as_is_and_refreshed_five_minutes_before_expiry(rt):
    oauth = SlowOAuth(rt.clock)
    tokens = provider(rt, oauth)
    assert tokens() == "access-1"
    rt.clock.advance(timedelta(minutes=24))
    assert tokens() == "access-1" and oauth.calls == []
    rt.clock.advance(timedelta(minutes=2))  # 4 minutes left
    assert tokens() == "access-2" and oauth.calls == ["refresh-1"]
    with transaction(rt.sessions) as session:
        row = store.installation(session, "t_acme", "zendesk")
        assert rt.directory.cipher.decrypt(row.refresh_token) == "refresh-2"
        assert row.refresh_lock_until is None


def test_many_threads_and_processes_refresh_an_account_once(rt):
    """Eight threads over two providers (two processes' worth): one refresh, no reuse of a rotated token."""
    gate = threading.Event()
    oauth = SlowOAuth(rt.clock, gate)
    providers = [provider(rt, oauth), provider(rt, oauth)]
    rt.clock.advance(timedelta(minutes=28))  # 2 minutes left: due for refresh, still valid
    results, errors = [], []

    def use(p):
        try:
            results.append(p())
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=use, args=(providers[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    deadline = threading.Event()
    for _ in range(200):  # wait until the refresh is in flight (polled, not slept on blindly)
        if oauth.calls:
            break
        deadline.wait(0.01)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert oauth.calls == ["refresh-1"]  # exactly one refresh, never the rotated token twice
    assert set(results) <= {"access-1", "access-2"}  # the others went on with the still-valid token
    assert providers[0]() == providers[1]() == "access-2"


def test_an_expired_token_waits_for_the_refresh_in_progress_instead_of_refreshing_again(rt):
    gate = threading.Event()
    oauth = SlowOAuth(rt.clock, gate)
    first, second = provider(rt, oauth), provider(rt, oauth)
    rt.clock.advance(timedelta(minutes=31))  # expired
    worker = threading.Thread(target=first)
    worker.start()
    for _ in range(200):
        if oauth.calls:
            break
        threading.Event().wait(0.01)
    with pytest.raises(RetryableError, match="refresh in progress") as raised:
        second()
    assert raised.value.retry_after == 1.0
    gate.set()
    worker.join(10)
    assert second() == "access-2" and oauth.calls == ["refresh-1"]


def test_a_refused_refresh_purges_the_install_and_cancels_its_pending_work(rt):
    oauth = SlowOAuth(rt.clock)
    oauth.valid_refresh = "someone-else-rotated-it"
    with transaction(rt.sessions) as session:
        enqueue(session, "zendesk.sync_case", 7, tenant_id="t_acme")
        enqueue(session, "hubspot.sync_case", 7, tenant_id="t_acme")
    rt.clock.advance(timedelta(hours=1))
    with pytest.raises(NotConnected):
        provider(rt, oauth)()
    with transaction(rt.sessions) as session:
        assert store.installation(session, "t_acme", "zendesk") is None
        assert {j.kind: j.status for j in session.scalars(select(Job))} == {
            "zendesk.sync_case": "cancelled", "hubspot.sync_case": "queued",
            "zendesk.ticket_index": "cancelled"}  # the install's backfill of the ticket-history index
    with pytest.raises(NotConnected):
        provider(rt, oauth)()


def test_a_token_the_vendor_rejects_early_is_refreshed_on_the_next_call(rt):
    oauth = SlowOAuth(rt.clock)
    first, other_process = provider(rt, oauth), provider(rt, oauth)
    assert first() == other_process() == "access-1"
    first.rejected("access-1")  # a 401 from the API (revoked and reissued, clock skew…)
    assert first() == "access-2"
    first.rejected("access-1")  # a late 401 for the old token changes nothing more
    assert first() == "access-2" and len(oauth.calls) == 1
