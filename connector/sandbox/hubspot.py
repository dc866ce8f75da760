"""A strict local stand-in of the HubSpot CRM v3 API, for sandbox mode and end-to-end tests.

It answers the endpoints the connector uses, shaped like HubSpot's so that
hubspot-api-client deserializes them, and is as strict as HubSpot on them:
bearer token required, unknown properties rejected until created through the
properties API, values checked against the property's type and options,
``hs_timestamp`` required on tasks and notes, at most 100 inputs per batch, duplicate
property or group → 409, and an optional per-token rate limit → 429 with
``Retry-After``. State lives on ``app.extensions["hubspot_standin"]``.

This module builds the app (guards, authentication, error bodies); the endpoints
live in ``hubspot_properties``, ``hubspot_contacts``, ``hubspot_companies`` and
``hubspot_engagements``.
"""
from flask import Flask, jsonify, request

from connector.sandbox import hubspot_companies, hubspot_contacts, hubspot_engagements, hubspot_properties
from connector.sandbox.common import RateLimiter, install_guards
from connector.sandbox.hubspot_http import bearer_token, error_body
from connector.sandbox.hubspot_schema import Invalid
from connector.sandbox.hubspot_state import HubSpotState


def create_hubspot_standin(rate_limit: int | None = None, window_seconds: float = 10.0,
                           access_tokens=None) -> Flask:
    """Build the stand-in app. ``access_tokens``: accepted tokens (default: any non-empty)."""
    app = Flask("hubspot_standin")
    state = HubSpotState(RateLimiter(rate_limit, window_seconds), access_tokens)
    app.extensions["hubspot_standin"] = state
    install_guards(app, limiter=state.limiter, faults=state.faults, calls=state.calls,
                   rate_key=lambda req: bearer_token(req) or "anonymous", error_body=error_body)

    @app.before_request
    def _authenticate():
        token = bearer_token(request)
        if not token or (state.tokens is not None and token not in state.tokens):
            msg = ("Authentication credentials not found. This API supports OAuth 2.0 authentication "
                   "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
            return jsonify(error_body(401, msg)), 401
        return None

    @app.errorhandler(Invalid)
    def _invalid(exc: Invalid):
        return jsonify(error_body(exc.status, exc.message, exc.category, exc.errors)), exc.status

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _not_found(exc):
        return jsonify(error_body(exc.code, f"{exc.code} {exc.name}: {request.method} {request.path}")), exc.code

    hubspot_properties.register(app, state)
    hubspot_contacts.register(app, state)
    hubspot_companies.register(app, state)
    hubspot_engagements.register(app, state)
    return app
