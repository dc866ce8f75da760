"""Leased claims in the store: one of several workers goes; a dead holder's claim is taken over."""
import threading
from datetime import datetime, timedelta, timezone

from connector.store.claims import claim, claim_key, settle
from connector.store.db import install_schema, make_engine, make_session_factory

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)


def sessions(db_url):
    engine = make_engine(db_url)
    install_schema(engine)
    return make_session_factory(engine)


def test_one_claim_wins_and_a_settled_one_is_never_taken(db_url):
    factory = sessions(db_url)
    key = claim_key("tenant-a", "example.com")
    assert claim(factory, "company-domain", key, T0, LEASE)
    assert not claim(factory, "company-domain", key, T0 + timedelta(minutes=1), LEASE)  # someone is at it
    assert claim(factory, "company-domain", claim_key("tenant-b", "example.com"), T0, LEASE)  # per tenant
    settle(factory, "company-domain", key, "1234")
    assert not claim(factory, "company-domain", key, T0 + timedelta(hours=2), LEASE)  # made: never again


def test_a_claim_whose_holder_died_is_taken_over_once(db_url):
    factory = sessions(db_url)
    key = claim_key("default", "globex.com")
    assert claim(factory, "company-domain", key, T0, LEASE)
    late = T0 + LEASE + timedelta(seconds=1)
    winners = [claim(factory, "company-domain", key, late, LEASE) for _ in range(3)]
    assert winners == [True, False, False]


def test_racing_workers_get_exactly_one_claim(db_url):
    factory = sessions(db_url)
    key, start, results = claim_key("default", "initech.io"), threading.Barrier(8), []

    def worker():
        start.wait()
        results.append(claim(factory, "company-domain", key, T0, LEASE))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
