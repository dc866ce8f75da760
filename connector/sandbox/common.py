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
    """Faults a test injects: answer ``status`` to the next calls or until a time,
    and answer a poisoned request (its body holds a marker) the same way forever."""

    status: int = 500
    remaining: int = 0
    until: float = 0.0
    latency: float = 0.0  # seconds added to every answer: a slow vendor
    retry_after: int | None = None  # Retry-After sent with an injected 429
    poisoned: dict = field(default_factory=dict)  # body marker (bytes) -> status
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, status: int = 500, retry_after: int | None = None) -> None:
        with self.lock:
            self.status, self.remaining, self.retry_after = status, count, retry_after

    def fail_for(self, seconds: float, status: int = 500, retry_after: int | None = None) -> None:
        with self.lock:
            self.status, self.until, self.retry_after = status, time.monotonic() + seconds, retry_after

    def poison(self, marker: str, status: int = 500) -> None:
        """Every request whose body contains ``marker`` (an e-mail, say) gets ``status``."""
        with self.lock:
            self.poisoned[marker.encode()] = status

    def clear(self) -> None:
        with self.lock:
            self.remaining, self.until = 0, 0.0
            self.poisoned.clear()

    def take(self, body: bytes = b"") -> tuple[int, int | None] | None:
        """The injected (status, Retry-After) for this request, or None to answer normally."""
        with self.lock:
            for marker, status in self.poisoned.items():
                if marker in body:
                    return status, None
            if self.remaining > 0:
                self.remaining -= 1
                return self.status, self.retry_after
            if time.monotonic() < self.until:
                return self.status, self.retry_after
            return None


@dataclass
class Call:
    method: str
    path: str
    status: int
    headers: dict
    body: object
    at: float = 0.0  # time.monotonic() when the request arrived, for tests of retry timing


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
        request.environ["standin.arrived"] = time.monotonic()
        if faults.latency:
            time.sleep(faults.latency)  # simulated vendor slowness, not a test wait
        injected = faults.take(request.get_data(cache=True))
        if injected is not None:
            status, retry_after = injected
            response = jsonify(error_body(status, "injected fault"))
            response.status_code = status
            if status == 429 and retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        wait = limiter.check(rate_key(request))
        if wait is not None:
            response = jsonify(error_body(429, "rate limit exceeded"))
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        return None

    @app.after_request
    def _log(response: Response):
        calls.add(Call(request.method, request.path, response.status_code, dict(request.headers),
                       request.get_json(silent=True), request.environ.get("standin.arrived", 0.0)))
        return response
