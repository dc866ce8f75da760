"""The screens' one blueprint, ``ui``: the route modules add their routes to it.

One blueprint, not one per screen, so the endpoints keep their names (``ui.sidebar``,
``ui.dashboard``, ``ui.hubspot_card``, ``ui.static``) in templates, manifests and tests.
It imports no route module: ``connector.web.ui`` (the package) imports them all.
"""
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint

from connector.web.planned import plan_before_reading

# The templates and static files stay in connector/web/ (oauth's installed.html is there too).
WEB_FOLDER = Path(__file__).resolve().parents[1]

bp = plan_before_reading(Blueprint("ui", __name__, root_path=str(WEB_FOLDER), template_folder="templates",
                                   static_folder="static", static_url_path="/ui-static"))


@bp.app_template_filter("when")
def _when(value) -> str:
    """A moment as people read it, ``2026-11-20 21:37 UTC``; also from the card's ISO strings."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
