"""Which tenant a request belongs to, decided only by what was verified.

* ``/webhooks/...``: the environment's single account (tenant ``default``).
* ``/t/<tenant>/webhooks/...``: the path names a tenant, but nothing is believed until the
  request's signature verifies with *that tenant's own* secret (``settings()`` holds no
  other secret), so a sender can only ever reach the tenant whose secret it holds.
* HubSpot app webhooks and card requests are signed with the app's secret; the ``portalId``
  inside the signed request names the installed account, hence the tenant.
* The Zendesk sidebar's signed URL (RS256, Zendesk's key) names the account in ``iss``.
The body of a request never chooses a tenant.
"""
from flask import Blueprint, current_app, g, jsonify

from connector.installs import DEFAULT_TENANT
from connector.web.current import runtime

TENANT_PREFIX = "/t/<tenant>"


def directory():
    return runtime().directory


def current_tenant() -> str:
    return g.get("tenant", DEFAULT_TENANT)


def tenant_settings() -> dict:
    """The configuration this request's signatures are checked with (see module docstring)."""
    if current_tenant() == DEFAULT_TENANT or directory() is None:
        return current_app.config
    return directory().settings(current_tenant()) or {}


def tenant_runtime():
    return runtime().for_tenant(current_tenant())


def tenant_routes(bp: Blueprint) -> None:
    """Let ``bp`` also serve under ``/t/<tenant>``: the tenant goes to ``g``, never to the views."""

    @bp.url_value_preprocessor
    def _take_tenant(endpoint, values):
        g.tenant = values.pop("tenant", DEFAULT_TENANT) if values else DEFAULT_TENANT

    @bp.before_request
    def _known_tenant():
        if current_tenant() != DEFAULT_TENANT and (directory() is None or directory().settings(current_tenant()) is None):
            return jsonify(error="unknown_tenant", message="no installation by that id"), 404
        return None
