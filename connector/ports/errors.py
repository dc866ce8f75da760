"""Typed errors that say whether the work should be tried again (Sentry style).

Vendor adapters translate SDK exceptions into these so the job runner never
has to know about zenpy or hubspot-api-client.
"""
import email.utils
import time


class SyncError(Exception):
    """Base of every error raised while pushing a case to a vendor.

    ``status`` is the vendor's HTTP status when there was one (None for a connection
    failure or our own refusal): callers branch on it, e.g. 409 "exists", 404 "absent".
    """

    retryable = True
    retry_after: float | None
    status: int | None

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class RetryableError(SyncError):
    """Outage, timeout, 5xx or 429: the same call may succeed later."""

    retryable = True


class PermanentError(SyncError):
    """A 4xx the vendor will answer the same way forever (bad token, bad field)."""

    retryable = False


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
