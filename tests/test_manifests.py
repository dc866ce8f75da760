"""The marketplace manifests name only routes, settings and API scopes the connector really has.

Every test runs twice: on the templates in ``manifest/`` (HubSpot's ``${…}`` profile variables
filled for the template origin) and on what ``recovery apps build --origin … --out DIR`` wrote,
the Zendesk zip unzipped (``tests/apps_build.py``)."""
import json
import os
import re
import struct
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from connector.cli.apps import TEMPLATE_ORIGIN, TEMPLATE_SUPPORT_EMAIL, fill_variables, hubspot_variables
from tests.apps_build import BUILT_ORIGIN, build_apps

ROOT = Path(__file__).resolve().parents[1] / "manifest"
# Zendesk validator constants (zendesk_apps_support: manifest/parameter.rb, validations/translations.rb)
# Secure-setting scopes: "header" is the value zendesk_apps_support's own spec uses
# (spec/validations/secure_settings_spec.rb); add others only with a source.
ZAF_PARAMETER_TYPES = {"text", "password", "checkbox", "url", "number", "multiline", "hidden", "oauth"}
ZAF_LOCALE = r"[a-z]{2}(-\w{2,3})?"
ZAF_SECURE_SCOPES = {"header"}
# HubSpot SDK API objects the client builds (connector/providers/hubspot/client.py) -> the scopes the
# calls made through them need, from each API's "Scope requirements" on developers.hubspot.com:
# contacts, tasks and notes all list crm.objects.contacts.read/.write (tasks and notes are engagements,
# with no scope of their own); properties and property groups of contacts list crm.schemas.contacts.*;
# companies crm.objects.companies.read/.write (the account roll-up; contact<->company associations
# need the two objects' scopes) and crm.schemas.companies.* for its properties; owners crm.objects.owners.read.
CONTACTS_READ, CONTACTS_WRITE = "crm.objects.contacts.read", "crm.objects.contacts.write"
SCOPES_FOR_SDK_API = {
    "crm.properties.groups_api": {"crm.schemas.contacts.read", "crm.schemas.contacts.write",
                                  "crm.schemas.companies.read", "crm.schemas.companies.write"},  # get_all, create
    "crm.properties.core_api": {"crm.schemas.contacts.read", "crm.schemas.contacts.write",
                                "crm.schemas.companies.read", "crm.schemas.companies.write"},    # get_all, update
    "crm.properties.batch_api": {"crm.schemas.contacts.write", "crm.schemas.companies.write"},  # create
    "crm.contacts.basic_api": {CONTACTS_READ, CONTACTS_WRITE},                                # get_by_id, update
    "crm.contacts.batch_api": {CONTACTS_WRITE},                                               # upsert
    "crm.companies.basic_api": {"crm.objects.companies.read"},                                # get_by_id
    "crm.companies.batch_api": {"crm.objects.companies.write"},                               # create, update
    "crm.companies.search_api": {"crm.objects.companies.read"},                               # do_search
    "crm.objects.notes.basic_api": {CONTACTS_WRITE},                                          # create
    "crm.objects.notes.batch_api": {CONTACTS_WRITE},                                          # batch create
    "crm.objects.notes.search_api": {CONTACTS_READ},                                          # do_search
    "crm.objects.tasks.basic_api": {CONTACTS_WRITE},                                          # update
    "crm.objects.tasks.batch_api": {CONTACTS_WRITE},                                          # create
    "crm.objects.tasks.search_api": {CONTACTS_READ},                                          # do_search
    "crm.owners.owners_api": {"crm.objects.owners.read"},                                     # get_page
}
# Scopes the app needs besides its API calls: "oauth" (HubSpot's basic scope of every OAuth app), a
# card on contact records (app cards reference: minimum scope of the object type), and webhooks that
# read task and contact events (the events' object read scope).
SCOPES_FOR_FEATURES = {"oauth", CONTACTS_READ}


class Apps:
    """One copy of both apps: the folders, the origin they were made for, the profile variables."""

    def __init__(self, zendesk: Path, hubspot: Path, origin: str, variables: dict):
        self.zendesk, self.hubspot, self.origin, self.variables = zendesk, hubspot, origin, variables

    def json(self, path: Path):
        """A manifest file, HubSpot's ``${VAR}`` filled from the profile (none may be left unknown)."""
        return json.loads(fill_variables(path.read_text(encoding="utf-8"), self.variables))


@pytest.fixture(scope="module", params=["template", "built"])
def apps(request, tmp_path_factory):
    if request.param == "template":
        return Apps(ROOT / "zendesk", ROOT / "hubspot", TEMPLATE_ORIGIN,
                    hubspot_variables(TEMPLATE_ORIGIN, TEMPLATE_SUPPORT_EMAIL))
    out = build_apps(tmp_path_factory.mktemp("apps"), BUILT_ORIGIN)
    return Apps(out / "zendesk", out / "hubspot", BUILT_ORIGIN, {})  # built: no variable left to fill


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


def test_zendesk_manifest_passes_the_validation_rules(apps):
    """The rules of Zendesk's own validator (zendesk/zendesk_apps_support, validations/manifest.rb and
    secure_settings.rb) and of the manifest reference (developer.zendesk.com, "Manifest reference")."""
    manifest = apps.json(apps.zendesk / "manifest.json")
    for field in ("name", "author", "defaultLocale", "location", "frameworkVersion", "version"):
        assert manifest.get(field), f"manifest.json needs {field}"
    author = manifest["author"]
    assert set(author) >= {"name", "email", "url"} and "@" in author["email"]
    assert re.match(r"https?://", author["url"]), "the validator wants an http(s) author url"
    assert manifest["frameworkVersion"] == "2.0" and manifest["version"]
    assert manifest["private"] is False, "a marketplace app is public"
    assert manifest["signedUrls"] is True and manifest.get("singleInstall") in (None, True, False)
    assert re.fullmatch(ZAF_LOCALE, manifest["defaultLocale"])
    assert (apps.zendesk / f"translations/{manifest['defaultLocale']}.json").exists()
    names = [p["name"] for p in manifest.get("parameters", [])]
    assert len(names) == len(set(names)) and "name" not in names
    for parameter in manifest.get("parameters", []):
        assert re.fullmatch(r"[a-z_]+", parameter["name"]) and parameter.get("type", "text") in ZAF_PARAMETER_TYPES
        assert not (parameter.get("type") == "hidden" and parameter.get("required")), "hidden cannot be required"
        if parameter.get("secure"):  # secure settings: only through the Zendesk proxy, limited by scopes
            assert parameter.get("scopes") and set(parameter["scopes"]) <= ZAF_SECURE_SCOPES, parameter["name"]
            assert manifest.get("domainWhitelist"), "secure settings are only sent to whitelisted domains"
        for key in ("required", "secure"):
            assert isinstance(parameter.get(key, False), bool)


def test_zendesk_assets_have_the_marketplace_sizes(apps):
    """logo.png 320x320 and logo-small.png 128x128 (developer.zendesk.com "Create app brand assets",
    "Styles and assets"); at most 3 screenshot-N.png, each exactly 1024x768 (zendesk_apps_support
    validations/screenshots.rb: MAX_FILES = 3, 1024 x 768)."""
    assert _png_size(apps.zendesk / "assets/logo.png") == (320, 320)
    assert _png_size(apps.zendesk / "assets/logo-small.png") == (128, 128)
    screenshots = sorted((apps.zendesk / "assets").glob("screenshot-*.png"))
    assert 1 <= len(screenshots) <= 3
    assert [p.name for p in screenshots] == [f"screenshot-{i}.png" for i in range(len(screenshots))]
    assert all(_png_size(p) == (1024, 768) for p in screenshots)


LOCALES = sorted(p.stem for p in (ROOT / "zendesk/translations").glob("*.json"))


@pytest.mark.parametrize("locale", LOCALES)
def test_zendesk_translations_have_the_marketplace_strings(apps, locale):
    """A public app's translations/<locale>.json carries app.name, short_description, long_description
    and installation_instructions (zendesk_apps_support validations/translations.rb); name at most 40
    characters, short description at most 80 (developer.zendesk.com "Create content"); every setting
    has a label and help text ("Setting up new apps"); every locale has the keys of the default one."""
    manifest = apps.json(apps.zendesk / "manifest.json")
    assert re.fullmatch(ZAF_LOCALE, locale)
    app = apps.json(apps.zendesk / f"translations/{locale}.json")["app"]
    for key in ("name", "short_description", "long_description", "installation_instructions"):
        assert isinstance(app.get(key), str) and app[key].strip(), f"{locale}.json lacks app.{key}"
    assert len(app["name"]) <= 40 and len(app["short_description"]) <= 80
    for parameter in manifest.get("parameters", []):
        strings = app["parameters"][parameter["name"]]
        assert strings["label"].strip() and strings["helpText"].strip(), f"{locale}.json: {parameter['name']}"
    assert set(app["parameters"]) == {p["name"] for p in manifest.get("parameters", [])}
    default = apps.json(apps.zendesk / f"translations/{manifest['defaultLocale']}.json")["app"]
    assert _keys(app) == _keys(default), f"{locale}.json and the default locale differ in keys"


def _keys(tree, prefix=""):
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(value, f"{prefix}.{key}") for key, value in tree.items()))


def test_zendesk_sidebar_url_is_the_connector_sidebar(apps, app):
    """The ticket sidebar is a URL location on the connector (the deployment's origin, written in by
    ``apps build``), so that Zendesk POSTs its signed JWT (signedUrls) there. No setting: a customer's
    admin installs the app without typing the operator's address; the author URL is the support page."""
    manifest = apps.json(apps.zendesk / "manifest.json")
    assert manifest.get("parameters", []) == [], "nothing for the customer's admin to fill in"
    sidebar = manifest["location"]["support"]["ticket_sidebar"]
    assert isinstance(sidebar.get("flexible", False), bool) and sidebar.get("autoLoad", True) is True
    url = urlparse(sidebar["url"])
    assert f"{url.scheme}://{url.netloc}" == apps.origin and url.scheme == "https"
    assert _route(app, url.path, "POST") == _route(app, url.path, "GET") == "ui.sidebar"  # signed URLs are POSTed
    author = urlparse(manifest["author"]["url"])
    assert f"{author.scheme}://{author.netloc}" == apps.origin and _route(app, author.path, "GET") == "ui.support"
    for locale in LOCALES:  # the instructions send the admin to the connector's own pages
        steps = apps.json(apps.zendesk / f"translations/{locale}.json")["app"]["installation_instructions"]
        links = re.findall(r"https?://[^\s)]+", steps)
        assert links and all(link.startswith(apps.origin + "/") for link in links), locale
        assert {_route(app, urlparse(link).path, "GET") for link in links} == {"oauth.install", "ui.docs"}
    assert "ZENDESK_APP_PUBLIC_KEY" in (Path(__file__).parents[1] / "connector/web/ui/sidebar.py").read_text()


def _hsmeta_files(folder: Path) -> list[Path]:
    """Every *-hsmeta.json under ``folder``, installed packages and build output aside."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if name not in ("node_modules", "dist")]
        found += [Path(parent) / name for name in files if name.endswith("-hsmeta.json")]
    return sorted(found)


def _hubspot(apps):
    return (apps.json(apps.hubspot / "src/app/app-hsmeta.json")["config"],
            apps.json(apps.hubspot / "src/app/webhooks/webhooks-hsmeta.json")["config"])


HUBSPOT_UID = r"[A-Za-z0-9_.-]{1,64}"
CARD_LOCATIONS = {"crm.record.tab", "crm.record.sidebar", "crm.preview", "helpdesk.sidebar"}


def test_hubspot_project_layout(apps):
    """2025.2 project shape: hsproject.json (name, srcDir, platformVersion), the app schema of
    "App configuration" (uid, type app, name, description, distribution, auth, permittedUrls, support;
    a marketplace app must use oauth), the card schema of the "App cards reference" (type card, one
    location, objectTypes, entrypoint), each *-hsmeta.json at the root of its feature folder with a
    project-unique uid (HubSpot/hubspot-project-components 2025.2, AGENTS.md and templates)."""
    project = apps.json(apps.hubspot / "hsproject.json")
    assert project["name"] and project["srcDir"] == "src" and project["platformVersion"] == "2025.2"
    metas = _hsmeta_files(apps.hubspot / "src/app")
    components = {p.relative_to(apps.hubspot / "src/app").as_posix(): apps.json(p) for p in metas}
    uids = [c["uid"] for c in components.values()]
    assert len(uids) == len(set(uids)) and all(re.fullmatch(HUBSPOT_UID, u) for u in uids)
    folder_of = {"app": "", "card": "cards/", "webhooks": "webhooks/"}
    for path, component in components.items():
        assert component["type"] in folder_of, f"{path}: unexpected component type"
        assert path == folder_of[component["type"]] + path.rsplit("/", 1)[-1], f"{path} is in the wrong folder"
    config, _ = _hubspot(apps)
    app = apps.json(apps.hubspot / "src/app/app-hsmeta.json")
    assert app["type"] == "app" and 0 < len(config["name"]) <= 200 and config["description"].strip()
    assert config["distribution"] == "marketplace" and config["auth"]["type"] == "oauth"
    assert "@" in config["support"]["supportEmail"]
    assert set(config["permittedUrls"]) == {"fetch", "iframe", "img"}
    assert set(config["support"]) >= {"supportEmail", "documentationUrl", "supportUrl"}
    for meta, objects in (("recovery-card-hsmeta.json", ["contacts"]), ("account-card-hsmeta.json", ["companies"])):
        card = apps.json(apps.hubspot / "src/app/cards" / meta)
        assert card["type"] == "card" and card["config"]["name"] and card["config"]["location"] in CARD_LOCATIONS
        assert card["config"]["objectTypes"] == objects
        assert (apps.hubspot / "src" / card["config"]["entrypoint"].lstrip("/")).exists()
    package = apps.json(apps.hubspot / "src/app/cards/package.json")
    assert {"@hubspot/ui-extensions", "react"} <= set(package["dependencies"])
    pinned = package["dependencies"]["@hubspot/ui-extensions"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "the SDK is pinned to one version, not a range"
    locked = apps.json(apps.hubspot / "src/app/cards/package-lock.json")
    assert locked["packages"]["node_modules/@hubspot/ui-extensions"]["version"] == pinned
    assert locked["packages"][""]["dependencies"] == package["dependencies"], "lockfile out of date: npm install"
    # HubSpot's lint set-up (hubspot-cli lib/projects/uieLinting.ts: its packages, "eslint ." and the
    # @hubspot/eslint-config-ui-extensions rules), and the type-check and build .ci/run runs.
    assert {"eslint", "@eslint/js", "typescript-eslint", "@hubspot/eslint-config-ui-extensions", "eslint-plugin-react",
            "eslint-plugin-react-hooks", "eslint-plugin-unused-imports", "eslint-config-prettier", "prettier", "jiti",
            "typescript", "@types/react", "@hubspot/ui-extensions-dev-server"} <= set(package["devDependencies"])
    assert package["scripts"]["lint"] == "eslint ." and package["scripts"]["typecheck"].startswith("tsc --noEmit")
    lint = (apps.hubspot / "src/app/cards/eslint.config.js").read_text()
    assert "from '@hubspot/eslint-config-ui-extensions'" in lint and "...uiExtensionsConfig" in lint


def test_hubspot_urls_are_routes_of_the_app(apps, app):
    """One connector origin everywhere: permittedUrls.fetch (hubspot.fetch only reaches listed HTTPS,
    non-localhost URLs - "Fetching data"), the card's CONNECTOR_URL, the webhook targetUrl and the
    OAuth redirect URLs; each path is a route of the app (or an OAuth route still being built)."""
    config, webhooks = _hubspot(apps)
    fetch = config["permittedUrls"]["fetch"]
    assert len(fetch) == 1
    base = urlparse(fetch[0])
    assert base.scheme == "https" and base.hostname not in ("localhost", "127.0.0.1") and base.path in ("", "/")
    target = urlparse(webhooks["settings"]["targetUrl"])
    assert (target.scheme, target.netloc) == (base.scheme, base.netloc)
    assert _route(app, target.path, "POST") == "crm_events.hubspot"
    for url in config["auth"]["redirectUrls"]:
        redirect = urlparse(url)
        assert (redirect.scheme, redirect.netloc) == (base.scheme, base.netloc)
        _route(app, redirect.path, "GET")
    support = config["support"]
    for url, endpoint in ((support["documentationUrl"], "ui.docs"), (support["supportUrl"], "ui.support")):
        assert url.startswith(f"{base.scheme}://{base.netloc}/") and _route(app, urlparse(url).path, "GET") == endpoint
    cards = {"RecoveryCard.tsx": "ui.hubspot_card", "AccountCard.tsx": "ui.hubspot_company_card"}
    for name, endpoint in cards.items():
        code = (apps.hubspot / "src/app/cards" / name).read_text()
        assert re.findall(r'CONNECTOR_URL = "([^"]+)"', code) == [apps.origin] == [f"{base.scheme}://{base.netloc}"]
        assert "window.fetch" not in code and re.search(r"(?<![\w.])fetch\(", code) is None, "cards use hubspot.fetch"
        # the origin fetched is the profile's CONNECTOR_ORIGIN (context.variables), else CONNECTOR_URL
        assert "String(variables?.CONNECTOR_ORIGIN ?? CONNECTOR_URL)" in code
        assert "connector={connectorOrigin(context.variables)}" in code
        paths = re.findall(r"hubspot\s*\.fetch\(\s*`\$\{connector\}(/[\w/-]+)", code)
        assert paths and all(_route(app, path, "GET") == endpoint for path in paths)
    template = json.loads((ROOT / "hubspot/src/app/app-hsmeta.json").read_text())["config"]
    assert template["permittedUrls"]["fetch"] == ["${CONNECTOR_ORIGIN}"], "the cards' profile variable is the allow-list's"
    assert app.config.get("HUBSPOT_CLIENT_SECRET"), "card and webhooks are verified with the client secret"


def test_hubspot_subscriptions_are_events_the_connector_handles(apps):
    """Webhook component shape of developers.hubspot.com "Configure webhooks" (2025.2): settings with
    targetUrl and maxConcurrentRequests; object.* events in crmObjects (task is a supported generic
    object type); contact.privacyDeletion is a classic event that goes in hubEvents, not in
    legacyCrmObjects (same page, and HubSpot/hubspot-project-components 2025.2 webhooks template)."""
    from connector.cases import hubspot_events as events
    _, webhooks = _hubspot(apps)
    assert webhooks["settings"]["targetUrl"].startswith("https://")
    assert isinstance(webhooks["settings"]["maxConcurrentRequests"], int) \
        and webhooks["settings"]["maxConcurrentRequests"] > 0
    source = Path(events.__file__).read_text()
    subscriptions = webhooks["subscriptions"]
    assert set(subscriptions) <= {"crmObjects", "legacyCrmObjects", "hubEvents"}
    crm = subscriptions["crmObjects"]
    assert [(s["subscriptionType"], s["objectType"], s["propertyName"], s["active"]) for s in crm] == [
        ("object.propertyChange", "task", "hs_task_status", True)]
    assert "hs_task_status" in source and "COMPLETED" in source and events.TASK_OBJECT_TYPE == "0-27"
    assert not any(s["subscriptionType"].startswith(("contact.privacyDeletion", "conversation."))
                   for s in subscriptions.get("legacyCrmObjects", [])), "those go in hubEvents"
    assert [(s["subscriptionType"], s["active"]) for s in subscriptions["hubEvents"]] == [
        ("contact.privacyDeletion", True)]
    assert "contact.privacyDeletion" in events.PRIVACY_DELETION


def test_hubspot_scopes_are_exactly_what_the_adapter_uses(apps):
    """requiredScopes = the scopes of every SDK API the client uses, plus oauth and the card's and
    webhooks' read scope; nothing more (least privilege, marketplace review)."""
    client = (Path(__file__).parents[1] / "connector/providers/hubspot/client.py").read_text()
    used = set(re.findall(r"\bcrm\.(?:objects\.)?\w+\.\w+_api\b", client))
    assert used == set(SCOPES_FOR_SDK_API), f"update SCOPES_FOR_SDK_API: {set(SCOPES_FOR_SDK_API) ^ used}"
    needed = set().union(*SCOPES_FOR_SDK_API.values()) | SCOPES_FOR_FEATURES
    auth = _hubspot(apps)[0]["auth"]
    assert sorted(auth["requiredScopes"]) == sorted(needed)
    assert auth["optionalScopes"] == [] and auth["conditionallyRequiredScopes"] == []
    from connector.installs.oauth import HUBSPOT_SCOPES

    assert sorted(HUBSPOT_SCOPES.split()) == sorted(auth["requiredScopes"]), \
        "the install asks for what the app declares"
