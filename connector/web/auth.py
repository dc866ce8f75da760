"""The operator's bearer token (``RECOVERY_ADMIN_TOKEN``), guarding the admin APIs.

``admin_required(bp)`` guards every view of a blueprint, the way ``tenant_routes(bp)``
and ``record_deliveries(bp)`` add their hooks: a view added later is guarded too, and
the check runs before anything else of the request (CORS preflights included).
``require_admin()`` is the same check for a view that also admits another credential.
"""
import hmac

from flask import Blueprint, current_app, jsonify, request

from connector.web.throttle import record_failure, too_many


def require_admin():
    """None when the request bears the admin token; else the 401 answer to send."""
    token = current_app.config.get("ADMIN_TOKEN") or ""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    offered = scheme.lower() == "bearer" and bool(value)
    if offered and (refused := too_many()) is not None:  # a guesser waits, whatever it offers now
        return refused
    # No token configured refuses everyone, rather than matching an empty bearer.
    if not token or not offered or not hmac.compare_digest(value.encode(), token.encode()):
        if offered:
            record_failure()  # a wrong guess spends; a request without a token is no guess
        return jsonify(error="unauthorized", message="send Authorization: Bearer <admin token>"), 401
    return None


def admin_required(bp: Blueprint) -> Blueprint:
    """Answer 401 to every request of ``bp`` without the admin token."""
    bp.before_request(require_admin)
    return bp
