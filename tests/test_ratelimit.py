"""The shared token bucket: paces calls under a vendor's sliding-window limit, across processes."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.infra.clock import FrozenClock
from connector.ports.errors import RetryableError
from connector.store.db import install_schema, make_engine, make_session_factory
from connector.store.ratelimit import SharedRateLimiter

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def engines(db_url):
    made = [make_engine(db_url) for _ in range(2)]  # two engines: as two worker processes would be
    install_schema(made[0])
    yield made
    for engine in made:
        engine.dispose()


def limiter(engine, clock, limit=10, window=10.0, **kwargs):
    return SharedRateLimiter(make_session_factory(engine), "default:hubspot", limit, window, clock, **kwargs)


def test_burst_then_pace(engines):
    clock = FrozenClock(T0)
    bucket = limiter(engines[0], clock)  # 10 per 10 s: burst 1, 0.9 per second
    assert bucket.reserve() == 0.0
    wait = bucket.reserve()
    assert wait == pytest.approx(1 / 0.9)
    clock.advance(timedelta(seconds=wait))
    assert bucket.reserve() == 0.0


def test_the_bucket_is_shared_by_processes(engines):
    clock = FrozenClock(T0)
    first, second = limiter(engines[0], clock, limit=20), limiter(engines[1], clock, limit=20)
    assert [first.reserve(), second.reserve()] == [0.0, 0.0]  # burst of 2
    assert second.reserve() > 0 and first.reserve() > 0  # the other process spent the tokens


def test_no_sliding_window_ever_sees_more_than_the_limit(engines):
    clock = FrozenClock(T0)
    bucket = limiter(engines[0], clock, limit=100, window=10.0)
    granted = []
    for _ in range(1500):  # a caller trying every 50 ms for 75 s
        if bucket.reserve() == 0.0:
            granted.append(clock())
        clock.advance(timedelta(milliseconds=50))
    for i, start in enumerate(granted):
        in_window = sum(1 for t in granted[i:] if t - start < timedelta(seconds=10))
        assert in_window <= 100
    assert len(granted) >= 0.85 * 100 * 7.5  # and it still uses most of the allowance


def test_throttle_waits_briefly_then_hands_the_job_back(engines):
    clock = FrozenClock(T0)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    bucket = limiter(engines[0], clock, limit=10, sleep=sleep, max_wait=2.0)
    bucket.throttle()
    bucket.throttle()  # waits about 1.1 s for the next token
    assert slept == [pytest.approx(1 / 0.9)]
    patient = limiter(engines[0], clock, limit=10, sleep=sleep, max_wait=0.5)
    with pytest.raises(RetryableError) as raised:
        patient.throttle()
    assert raised.value.retry_after == pytest.approx(1 / 0.9)
