"""Pieces both stand-ins share: call log, rate limiter and injected faults."""
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify, request


class RateLimiter:
    """Sliding window: at most ``limit`` calls per ``window`` seconds per key."""

    def __init__(self, limit: int | None, window: float, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._calls: dict[str, deque] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float | None:
        """Count a call; return seconds to wait when over the limit, else None."""
        if not self.limit:
            return None
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return max(calls[0] + self.window - now, 0.001)
            calls.append(now)
            return None


@dataclass
class FaultPlan:
    """Faults a test injects: answer ``status`` to the next calls or until a time."""

    status: int = 500
    remaining: int = 0
    until: float = 0.0
    latency: float = 0.0  # seconds added to every answer: a slow vendor
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, status: int = 500) -> None:
        with self.lock:
            self.status, self.remaining = status, count

    def fail_for(self, seconds: float, status: int = 500) -> None:
        with self.lock:
            self.status, self.until = status, time.monotonic() + seconds

    def clear(self) -> None:
        with self.lock:
            self.remaining, self.until = 0, 0.0

    def take(self) -> int | None:
        with self.lock:
            if self.remaining > 0:
                self.remaining -= 1
                return self.status
            if time.monotonic() < self.until:
                return self.status
            return None


@dataclass
class Call:
    method: str
    path: str
    status: int
    headers: dict
    body: object


class CallLog:
    """Every request a stand-in answered, for tests and the sandbox summary."""

    def __init__(self):
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def count(self, method: str | None = None, path_prefix: str = "", status: int | None = None) -> int:
        return sum(
            1 for c in self.all()
            if (method is None or c.method == method)
            and c.path.startswith(path_prefix)
            and (status is None or c.status == status)
        )


def install_guards(app: Flask, *, limiter: RateLimiter, faults: FaultPlan, calls: CallLog,
                   rate_key, error_body) -> None:
    """Wire rate limiting, fault injection and call logging into a stand-in app.

    ``rate_key(request)`` names the account a call is counted against;
    ``error_body(status, message)`` shapes an error the way the vendor does.
    """

    @app.before_request
    def _guards():
        if faults.latency:
            time.sleep(faults.latency)  # simulated vendor slowness, not a test wait
        status = faults.take()
        if status is not None:
            return jsonify(error_body(status, "injected fault")), status
        wait = limiter.check(rate_key(request))
        if wait is not None:
            response = jsonify(error_body(429, "rate limit exceeded"))
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        return None

    @app.after_request
    def _log(response: Response):
        calls.add(Call(request.method, request.path, response.status_code,
                       dict(request.headers), request.get_json(silent=True)))
        return response
