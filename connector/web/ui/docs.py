"""``/docs`` and ``/support``: the pages the marketplace listings point to (the Zendesk app's
author URL, HubSpot's ``documentationUrl`` and ``supportUrl``).

Public, no token: a customer's admin reads them before installing. The addresses they show
are the deployment's own (``RECOVERY_PUBLIC_BASE_URL``), never built from the Host header.
"""
from flask import current_app, render_template

from connector.web.ui.blueprint import bp


def _page(template: str):
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return render_template(template, base=base, support_email=current_app.config.get("SUPPORT_EMAIL") or None)


@bp.get("/docs")
def docs():
    return _page("docs.html")


@bp.get("/support")
def support():
    return _page("support.html")
