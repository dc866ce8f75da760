"""The marketplace manifests name only routes, settings and API scopes the connector really has."""
import json
import re
import struct
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.routing import RequestRedirect
from werkzeug.exceptions import MethodNotAllowed, NotFound

ROOT = Path(__file__).resolve().parents[1] / "manifest"
ZENDESK, HUBSPOT = ROOT / "zendesk", ROOT / "hubspot"
# Routes the later OAuth work adds (issue 6 item 3); listed here so they are not forgotten.
PLANNED_ROUTES = {"/oauth/hubspot/callback"}
# HubSpot SDK API groups used by the adapter -> the scope each needs.
SCOPE_FOR_API = {"crm.contacts": {"crm.objects.contacts.read", "crm.objects.contacts.write"},
                 "crm.objects.notes": {"crm.objects.contacts.write"},
                 "crm.objects.tasks": {"crm.objects.contacts.write"},
                 "crm.properties": {"crm.schemas.contacts.read", "crm.schemas.contacts.write"},
                 "crm.companies": {"crm.objects.companies.read"}, "crm.owners": {"crm.objects.owners.read"}}


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _route(app, path: str, method: str) -> str:
    adapter = app.url_map.bind("connector.example", url_scheme="https")
    try:
        endpoint, _ = adapter.match(path, method=method)
        return endpoint
    except (NotFound, MethodNotAllowed, RequestRedirect) as exc:
        raise AssertionError(f"{method} {path} is not a route of the app ({type(exc).__name__})") from None


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_zendesk_manifest_passes_the_validation_rules():
    manifest = _json(ZENDESK / "manifest.json")
    for field in ("name", "author", "defaultLocale", "location", "frameworkVersion", "version"):
        assert manifest.get(field), f"manifest.json needs {field}"
    assert set(manifest["author"]) >= {"name", "email"} and "@" in manifest["author"]["email"]
    assert manifest["frameworkVersion"] == "2.0" and manifest["private"] is False and manifest["signedUrls"] is True
    for parameter in manifest["parameters"]:
        assert re.fullmatch(r"[a-z_]+", parameter["name"]) and parameter["type"] in ("text", "url", "checkbox", "number")
        if parameter.get("secure"):
            assert parameter.get("scopes"), f"secure parameter {parameter['name']} must declare scopes"
    assert _png_size(ZENDESK / "assets/logo.png") == (128, 128)
    assert _png_size(ZENDESK / "assets/logo-small.png") == (64, 64)
    assert any(_png_size(p) == (1024, 768) for p in (ZENDESK / "assets").glob("screenshot-*.png"))


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_zendesk_translations_have_the_marketplace_strings(locale):
    manifest = _json(ZENDESK / "manifest.json")
    app = _json(ZENDESK / f"translations/{locale}.json")["app"]
    for key in ("name", "short_description", "long_description", "installation_instructions"):
        assert isinstance(app.get(key), str) and app[key].strip(), f"{locale}.json lacks app.{key}"
    assert len(app["short_description"]) <= 80
    for parameter in manifest["parameters"]:
        assert app["parameters"][parameter["name"]]["label"], f"{locale}.json lacks a label for {parameter['name']}"
    assert manifest["defaultLocale"] == "en" and (ZENDESK / "translations/en.json").exists()


def test_zendesk_sidebar_url_is_the_connector_sidebar(app):
    sidebar = _json(ZENDESK / "manifest.json")["location"]["support"]["ticket_sidebar"]["url"]
    prefix = "{{setting.connector_url}}"
    assert sidebar.startswith(prefix) and "connector_url" in {p["name"] for p in _json(ZENDESK / "manifest.json")["parameters"]}
    path = sidebar[len(prefix):]
    assert _route(app, path, "POST") == _route(app, path, "GET") == "ui.sidebar"  # signed URLs are POSTed
    assert "ZENDESK_APP_PUBLIC_KEY" in (Path(__file__).parents[1] / "connector/web/ui_sidebar.py").read_text()


def _hubspot():
    return (_json(HUBSPOT / "src/app/app-hsmeta.json")["config"],
            _json(HUBSPOT / "src/app/webhooks/webhooks-hsmeta.json")["config"])


def test_hubspot_project_layout():
    project = _json(HUBSPOT / "hsproject.json")
    assert project["srcDir"] == "src" and re.fullmatch(r"\d{4}\.\d", project["platformVersion"])
    config, _ = _hubspot()
    assert config["auth"]["type"] == "oauth" and config["distribution"] == "marketplace"
    card = _json(HUBSPOT / "src/app/cards/recovery-card-hsmeta.json")
    assert card["type"] == "card" and card["config"]["objectTypes"] == ["contacts"]
    assert (HUBSPOT / "src" / card["config"]["entrypoint"].lstrip("/")).exists()


def test_hubspot_urls_are_routes_of_the_app(app):
    config, webhooks = _hubspot()
    base = urlparse(config["permittedUrls"]["fetch"][0])
    target = urlparse(webhooks["settings"]["targetUrl"])
    assert target.netloc == base.netloc and target.scheme == "https"
    assert _route(app, target.path, "POST") == "crm_events.hubspot"
    for url in config["auth"]["redirectUrls"]:
        assert urlparse(url).netloc == base.netloc and urlparse(url).path in PLANNED_ROUTES
    jsx = (HUBSPOT / "src/app/cards/RecoveryCard.jsx").read_text()
    assert f'CONNECTOR_URL = "{base.scheme}://{base.netloc}"' in jsx
    for path in re.findall(r"\$\{CONNECTOR_URL\}(/[\w/]+)", jsx):
        assert _route(app, path, "GET") == "ui.hubspot_card"
    assert app.config.get("HUBSPOT_CLIENT_SECRET"), "card and webhooks are verified with the client secret"


def test_hubspot_subscriptions_are_events_the_connector_handles():
    from connector.events import hubspot as events
    _, webhooks = _hubspot()
    source = Path(events.__file__).read_text()
    crm = webhooks["subscriptions"]["crmObjects"]
    assert [(s["subscriptionType"], s["objectType"], s["propertyName"]) for s in crm] == [
        ("object.propertyChange", "task", "hs_task_status")]
    assert "hs_task_status" in source and "COMPLETED" in source
    for legacy in webhooks["subscriptions"]["legacyCrmObjects"]:
        assert legacy["subscriptionType"] in source, f"{legacy['subscriptionType']} is not handled"


def test_hubspot_scopes_are_exactly_what_the_adapter_uses():
    client = (Path(__file__).parents[1] / "connector/providers/hubspot/client.py").read_text()
    used = {api for api in SCOPE_FOR_API if re.search(rf"\b{re.escape(api)}\.", client)}
    assert used == set(SCOPE_FOR_API), f"update SCOPE_FOR_API: {set(SCOPE_FOR_API) ^ used}"
    needed = set().union(*(SCOPE_FOR_API[api] for api in used)) | {"oauth"}
    assert set(_hubspot()[0]["auth"]["requiredScopes"]) == needed
