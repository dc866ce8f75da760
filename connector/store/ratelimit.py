"""Client-side rate limiting per connected account, shared by all worker processes.

The vendors cap calls per sliding window (HubSpot 100 per 10 s for marketplace
apps, Zendesk 700 per minute on Enterprise). Each worker retrying on its own
after a 429 turns a campaign into a 429 storm, so every call first takes a
token from a bucket kept in the database, which all workers on all machines
share (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).

A token bucket of capacity C refilling at r per second lets C + r*W calls
through in any window W. To stay under the vendor's L per W it runs at 90%
of the rate with a burst of 10% (C + r*W = 0.1 L + 0.9 L = L).
"""
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector.ports.errors import RetryableError
from connector.store.db import transaction
from connector.store.models import RateBucket


class SharedRateLimiter:
    def __init__(self, sessions, name: str, limit: int, window_seconds: float, clock, sleep=time.sleep,
                 max_wait: float = 2.0):
        self.sessions, self.name, self.clock, self.sleep, self.max_wait = sessions, name, clock, sleep, max_wait
        self.rate = 0.9 * limit / window_seconds
        self.capacity = max(1.0, 0.1 * limit)

    def reserve(self) -> float:
        """Take a token: 0.0 when granted, else the seconds until one is free (nothing taken)."""
        try:
            return self._reserve()
        except IntegrityError:  # two processes created the bucket at once: the row exists now
            return self._reserve()

    def _reserve(self) -> float:
        now = self.clock()
        with transaction(self.sessions) as session:
            query = select(RateBucket).where(RateBucket.name == self.name)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update()
            bucket = session.scalars(query).first()
            if bucket is None:
                bucket = RateBucket(name=self.name, tokens=self.capacity, updated_at=now)
                session.add(bucket)
            elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
            tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
            bucket.updated_at = now
            if tokens >= 1.0 - 1e-6:  # waiting exactly the computed time must be enough
                bucket.tokens = max(tokens - 1.0, 0.0)
                return 0.0
            bucket.tokens = tokens
            return (1.0 - tokens) / self.rate

    def throttle(self) -> None:
        """Before a vendor call: wait briefly for a token, or hand the job back to the queue."""
        waited = 0.0
        while (wait := self.reserve()) > 0:
            if waited + wait > self.max_wait:
                raise RetryableError(f"{self.name}: client-side rate limit", retry_after=wait)
            self.sleep(wait)  # a worker pacing itself, never the web path
            waited += wait
