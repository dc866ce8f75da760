"""Guessing the admin token is throttled: a token bucket of wrong attempts per client address.

Each wrong bearer token or dashboard login spends a token of the address's bucket
(``RECOVERY_AUTH_FAILURE_BURST`` tokens, refilled at ``RECOVERY_AUTH_FAILURES_PER_MINUTE``);
an empty bucket answers 429 with ``Retry-After`` — to the right token too, so a guesser
learns nothing while it waits. Only failures spend: an operator who logs in is never slowed.

Written here rather than taken from Flask-Limiter: that library counts requests per route,
and what is counted here is a failed check inside hooks shared by several blueprints. The
buckets live in the process (a web process guards itself; with N processes an address gets
N times the rate), bounded in number so a spray of addresses cannot fill the memory.
"""
import math
import threading
import time
from collections.abc import Callable

from cachetools import LRUCache
from flask import current_app, jsonify, request

EXTENSION = "recovery_auth_throttle"


class FailureThrottle:
    def __init__(self, burst: int, per_minute: float, *, clock: Callable[[], float] = time.monotonic,
                 addresses: int = 10_000):
        self.burst, self.rate = float(burst), float(per_minute) / 60.0
        self.clock = clock
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(maxsize=addresses)  # tokens, at
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        with self._lock:
            tokens = self._tokens(key, self.clock())
        if tokens >= 1:
            return 0.0
        return math.inf if self.rate <= 0 else (1 - tokens) / self.rate

    def take(self, key: str) -> float:
        """Spend one of ``key``'s tokens: 0 when it had one, else the seconds until it will (nothing spent)."""
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
        return math.inf if self.rate <= 0 else (1 - tokens) / self.rate

    def failed(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._buckets[key] = (max(0.0, self._tokens(key, now) - 1), now)


def from_config(config) -> FailureThrottle:
    return FailureThrottle(int(config.get("AUTH_FAILURE_BURST") or 20),
                           float(config.get("AUTH_FAILURES_PER_MINUTE") or 20))


def _throttle() -> FailureThrottle | None:
    return current_app.extensions.get(EXTENSION)


def client_key() -> str:
    return request.remote_addr or "unknown"


def too_many():
    """The 429 to send when this client has spent its attempts; None when it may try."""
    throttle = _throttle()
    wait = throttle.wait(client_key()) if throttle is not None else 0.0
    if wait <= 0:
        return None
    response = jsonify(error="too_many_attempts", message="too many wrong admin tokens: wait and try again")
    response.headers["Retry-After"] = str(max(1, math.ceil(min(wait, 3600))))
    return response, 429


def record_failure() -> None:
    throttle = _throttle()
    if throttle is not None:
        throttle.failed(client_key())
