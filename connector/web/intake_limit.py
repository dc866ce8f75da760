"""Each tenant's survey intake is capped (issue 14, finding 5: one tenant's campaign of 1,500
answers held up another tenant's lone case).

A token bucket per tenant: ``RECOVERY_TENANT_INTAKE_BURST`` answers at once, refilled at
``RECOVERY_TENANT_INTAKE_PER_MINUTE``. Past it a signed answer gets ``429`` with ``Retry-After``
and a JSON body, and nothing is stored (the survey tool sends it again later). Only answers
whose signature verified spend a token, so an outsider cannot use up a tenant's budget.

The buckets live in each web process (``throttle.FailureThrottle``): with N processes a
tenant may send N times the rate. A bucket shared through the database would cost every
webhook one more write transaction (on SQLite, one more synchronous commit), while the
limit's purpose, keeping one tenant from monopolising intake and the queue, holds per
process as well; the fair claiming in ``connector.jobs.queue`` does the rest.
"""
import math

from flask import current_app, jsonify, request

from connector.infra import counters
from connector.web.deliveries import unlogged
from connector.web.throttle import FailureThrottle

EXTENSION = "recovery_tenant_intake"


def from_config(config, clock) -> FailureThrottle | None:
    """The limiter, on the runtime's clock; None when ``TENANT_INTAKE_PER_MINUTE`` is 0 (off)."""
    per_minute = float(config.get("TENANT_INTAKE_PER_MINUTE") or 0)
    if per_minute <= 0:
        return None
    burst = int(config.get("TENANT_INTAKE_BURST") or per_minute)
    return FailureThrottle(burst, per_minute, clock=lambda: clock().timestamp())


def refused(tenant: str):
    """Spend one of ``tenant``'s answers; the 429 to send when it has none left, else None."""
    limit = current_app.extensions.get(EXTENSION)
    wait = limit.take(tenant) if limit is not None else 0.0
    if wait <= 0:
        return None
    # Counted like the other refusals (per route and reason), not written to the delivery
    # log: a flood of them would otherwise cost one row each.
    counters.rejected(request.url_rule.rule if request.url_rule else "?", "tenant_intake_limit")
    unlogged()
    seconds = max(1, math.ceil(min(wait, 3600)))
    response = jsonify(error="tenant_intake_limit", retry_after=seconds,
                       message="this account sends more answers than the connector takes: send again later")
    response.headers["Retry-After"] = str(seconds)
    return response, 429
