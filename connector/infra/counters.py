"""In-process counters of requests the connector turned away or ignored, for the operator.

Refused and ignored traffic is counted here instead of being written anywhere: an outsider
can send as many bad requests as they like, and each costs one dictionary increment, never a
row. Keys are the connector's own words (the route rule, the error code), never text the sender
chose, so the set of keys stays small. The counts are this process's since it started
(``GET /api/metrics`` shows them); with several web processes each counts its own.
"""
import threading
from collections import Counter

_lock = threading.Lock()
_rejected: Counter[tuple[str, str]] = Counter()  # (route, reason) -> requests refused before authentication
_ignored: Counter[str] = Counter()               # reason -> authentic traffic that belongs to no tenant


def rejected(route: str, reason: str) -> None:
    with _lock:
        _rejected[(route[:100], reason[:60])] += 1


def ignored(reason: str) -> None:
    with _lock:
        _ignored[reason[:100]] += 1


def snapshot() -> dict:
    """``{"rejected": {route: {reason: n}}, "ignored": {reason: n}}``."""
    with _lock:
        by_route: dict[str, dict[str, int]] = {}
        for (route, reason), count in sorted(_rejected.items()):
            by_route.setdefault(route, {})[reason] = count
        return {"rejected": by_route, "ignored": dict(sorted(_ignored.items()))}


def reset() -> None:
    with _lock:
        _rejected.clear()
        _ignored.clear()
