"""Tokens at rest: ciphertext only, readable with any configured key, rotatable."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.installs import store
from connector.installs.crypto import EncryptionNotConfigured, TokenCipher, UnreadableSecret, generate_key
from connector.store.db import transaction
from connector.store.tenancy import Installation, Tenant
from tests.installs.support import START, grant, oauth_runtime


def test_no_token_or_secret_is_readable_in_the_database_file(sqlite_url, tmp_path):
    rt = oauth_runtime(sqlite_url)
    access, refresh = "pat-na1-ACCESS-0123456789abcdef", "REFRESH-fedcba9876543210"
    with transaction(rt.sessions) as session:
        store.save_grant(session, rt.directory.cipher, "t_acme", "hubspot",
                         grant("101", access, refresh), START)
        store.set_tenant_secrets(session, rt.directory.cipher, "t_acme", {"TYPEFORM_SECRET": "tf-SECRET-42"})
    rt.engine.dispose()  # everything on disk, WAL included
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("recovery.db*"))
    assert b"101" in raw  # the account id is there: the file was read
    for secret in (access, refresh, "tf-SECRET-42"):
        assert secret.encode() not in raw


def test_the_store_hands_back_what_it_was_given(db_url):
    rt = oauth_runtime(db_url)
    with transaction(rt.sessions) as session:
        store.save_grant(session, rt.directory.cipher, "t_acme", "zendesk", grant("acme", "A", "R"), START)
    with transaction(rt.sessions) as session:
        row = store.installation(session, "t_acme", "zendesk")
        assert (rt.directory.cipher.decrypt(row.access_token), rt.directory.cipher.decrypt(row.refresh_token)) == ("A", "R")
        assert row.access_token != "A"
        assert store.tenant_for_account(session, "zendesk", "acme") == "t_acme"


def test_reinstalling_an_account_keeps_its_tenant_and_a_new_account_replaces_the_old(db_url):
    rt = oauth_runtime(db_url)
    cipher = rt.directory.cipher
    with transaction(rt.sessions) as session:
        store.save_grant(session, cipher, "t_acme", "hubspot", grant("101", "A1"), START)
        kept = store.save_grant(session, cipher, "t_other", "hubspot", grant("101", "A2"), START)
        assert kept.tenant_id == "t_acme"
        with pytest.raises(store.AccountConflict):  # never without the operator's say-so
            store.save_grant(session, cipher, "t_acme", "hubspot", grant("999", "B1"), START)
        store.save_grant(session, cipher, "t_acme", "hubspot", grant("999", "B1"), START, may_replace=True)
    with transaction(rt.sessions) as session:
        rows = session.scalars(select(Installation)).all()
        assert [(r.tenant_id, r.account) for r in rows] == [("t_acme", "999")]


def test_key_rotation_reencrypts_everything_and_the_old_key_can_then_go(db_url, monkeypatch):
    rt = oauth_runtime(db_url)
    old_key = rt.config["ENCRYPTION_KEYS"]
    with transaction(rt.sessions) as session:
        store.save_grant(session, rt.directory.cipher, "t_acme", "hubspot", grant("101", "A", "R"), START)
        store.set_tenant_secrets(session, rt.directory.cipher, "t_acme", {"WEBHOOK_SECRET": "whsec_x"})
    new_key = generate_key()
    monkeypatch.setenv("RECOVERY_DATABASE_URL", db_url)
    monkeypatch.setenv("RECOVERY_ENCRYPTION_KEYS", f"{new_key} {old_key}")
    from connector.cli import main

    result = CliRunner().invoke(main, ["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 3 stored value(s)" in result.output
    only_new = TokenCipher(new_key)
    with transaction(rt.sessions) as session:
        row = store.installation(session, "t_acme", "hubspot")
        assert (only_new.decrypt(row.access_token), only_new.decrypt(row.refresh_token)) == ("A", "R")
        assert store.tenant_secrets(session, only_new, "t_acme") == {"WEBHOOK_SECRET": "whsec_x"}
        with pytest.raises(UnreadableSecret):
            TokenCipher(old_key).decrypt(row.access_token)


def test_without_a_key_nothing_is_stored_in_clear():
    with pytest.raises(EncryptionNotConfigured):
        TokenCipher(None).encrypt("token")


def test_a_malformed_key_stops_start_up(sqlite_url):
    from connector.config import ConfigError
    from tests.conftest import make_config, make_runtime

    with pytest.raises(ConfigError, match="Fernet keys"):
        make_runtime(make_config(sqlite_url, ENCRYPTION_KEYS="not-a-key"))


def test_purge_forgets_tokens_and_cancels_only_that_vendors_pending_work(db_url):
    from connector.jobs.queue import enqueue
    from connector.store.models import Job

    rt = oauth_runtime(db_url)
    with transaction(rt.sessions) as session:
        store.save_grant(session, rt.directory.cipher, "t_acme", "hubspot", grant("101"), START)
        for kind, tenant in (("hubspot.sync_case", "t_acme"), ("zendesk.sync_case", "t_acme"),
                             ("hubspot.sync_case", "t_other")):
            enqueue(session, kind, 1, tenant_id=tenant, dedupe_key=f"{kind}:{tenant}")
    with transaction(rt.sessions) as session:
        counts = store.purge(session, "t_acme", "hubspot", START, "uninstalled")
    assert counts == {"installations": 1, "jobs_cancelled": 1}
    with transaction(rt.sessions) as session:
        jobs = {(j.kind, j.tenant_id): j.status for j in session.scalars(select(Job))}
        assert jobs == {("hubspot.sync_case", "t_acme"): "cancelled", ("zendesk.sync_case", "t_acme"): "queued",
                        ("hubspot.sync_case", "t_other"): "queued"}
        assert store.installation(session, "t_acme", "hubspot") is None
        assert session.get(Tenant, "t_acme") is not None  # the tenant and its data stay
