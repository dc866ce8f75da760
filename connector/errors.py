"""Typed errors that say whether the work should be tried again (Sentry style).

Vendor adapters translate SDK exceptions into these so the job runner never
has to know about zenpy or hubspot-api-client.
"""


class SyncError(Exception):
    """Base of every error raised while pushing a case to a vendor."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RetryableError(SyncError):
    """Outage, timeout, 5xx or 429: the same call may succeed later."""

    retryable = True


class PermanentError(SyncError):
    """A 4xx the vendor will answer the same way forever (bad token, bad field)."""

    retryable = False
