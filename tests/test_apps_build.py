"""``recovery apps build``: both marketplace apps for one deployment, through the real entry point.

tests/test_manifests.py runs every manifest rule on the built output too; this file checks what
only the build does: the zip's layout, no template address left, the HubSpot config profile, and
the one-line refusals."""
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from connector.cli.apps import TEMPLATE_ORIGIN, fill_variables
from tests.apps_build import BUILT_ORIGIN, build_apps, run_build


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_apps(tmp_path_factory.mktemp("apps"), BUILT_ORIGIN, "--support-email", "help@connector.example.org")


def _texts(folder):
    return {p: p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file() and p.suffix != ".png"}


def test_the_zendesk_zip_is_what_zendesk_uploads(built):
    """manifest.json, assets/ and translations/ at the root of the zip (ZAF "Packaging an app"),
    nothing else: no folder around them, no test or build leftovers."""
    with zipfile.ZipFile(built / "zendesk-app.zip") as archive:
        names = archive.namelist()
    assert "manifest.json" in names
    assert all(re.fullmatch(r"manifest\.json|assets/[\w.-]+\.png|translations/[a-z]{2}(-\w+)?\.json", n) for n in names)
    assert {"assets/logo.png", "assets/logo-small.png", "assets/screenshot-0.png", "translations/en.json"} <= set(names)


def test_the_same_origin_builds_the_same_zip(built, tmp_path):
    again = build_apps(tmp_path, BUILT_ORIGIN, "--support-email", "help@connector.example.org")
    assert (again / "zendesk-app.zip").read_bytes() == (built / "zendesk-app.zip").read_bytes()


def test_a_support_address_that_is_not_one_is_refused_in_one_line(tmp_path):
    done = run_build(tmp_path / "out", BUILT_ORIGIN, "--support-email", 'x" onmouseover="alert(1)')
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1 and "--support-email" in done.stderr
    assert not (tmp_path / "out").exists()


def test_no_template_address_is_left_anywhere(built):
    texts = {**_texts(built / "zendesk"), **_texts(built / "hubspot")}
    assert texts and not [p.name for p, text in texts.items() if TEMPLATE_ORIGIN in text]
    assert not [p.name for p, text in texts.items() if p.name.endswith("-hsmeta.json") and "${" in text]
    assert not (built / "hubspot/src/app/cards/node_modules").exists()
    assert "help@connector.example.org" in texts[built / "zendesk/manifest.json"]
    app = json.loads(texts[built / "hubspot/src/app/app-hsmeta.json"])["config"]
    assert app["support"]["supportEmail"] == "help@connector.example.org"


def test_with_a_hubspot_account_the_urls_come_from_a_config_profile(built, tmp_path):
    """``--hubspot-account``: the *-hsmeta.json keep HubSpot's ``${VAR}`` and src/hsprofile.production.json
    ({accountId, variables}, HubSpot's "Build with config profiles") fills them; filled, they are
    exactly the project built without a profile."""
    out = build_apps(tmp_path, BUILT_ORIGIN, "--support-email", "help@connector.example.org",
                     "--hubspot-account", "4242")
    profile = json.loads((out / "hubspot/src/hsprofile.production.json").read_text())
    assert profile["accountId"] == 4242
    metas = sorted((out / "hubspot/src/app").rglob("*-hsmeta.json"))
    named = {name for meta in metas for name in re.findall(r"\$\{(\w+)\}", meta.read_text())}
    assert named == set(profile["variables"])  # every variable used is given, none is given for nothing
    for meta in metas:
        plain = built / "hubspot" / meta.relative_to(out / "hubspot")
        assert json.loads(fill_variables(meta.read_text(), profile["variables"])) == json.loads(plain.read_text())
    build_apps(tmp_path, BUILT_ORIGIN)  # built again without an account: no stale profile left behind
    assert not (out / "hubspot/src/hsprofile.production.json").exists()


@pytest.mark.parametrize("origin", ["http://connector.example.org", "ftp://connector.example.org", "not a url",
                                    "https://connector.example.org/recovery", "https://connector.example.org:99999",
                                    "https://user@connector.example.org", "https://exa mple.org"])
def test_an_origin_that_is_not_an_https_origin_is_refused_in_one_line(origin, tmp_path):
    done = run_build(tmp_path / "out", origin)
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "--origin" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_localhost_over_http_is_allowed_for_development(tmp_path):
    done = run_build(tmp_path, "http://localhost:8000")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "zendesk-app.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["location"]["support"]["ticket_sidebar"]["url"] == "http://localhost:8000/zendesk/sidebar"


CARDS = Path(__file__).resolve().parents[1] / "manifest/hubspot/src/app/cards"


def test_hubspots_own_parser_fills_the_profile_into_the_built_project(built, tmp_path):
    """HubSpot's project parser (@hubspot/project-parsing-lib, what ``hs project upload`` runs first)
    reads the project built with ``--hubspot-account`` and its profile: the components it sees are
    exactly those of the project built with the values filled in. Needs the cards' ``npm ci``
    (.ci/run does it first)."""
    if not (CARDS / "node_modules/@hubspot/project-parsing-lib").is_dir() or not shutil.which("node"):
        pytest.skip("run `npm ci` in manifest/hubspot/src/app/cards (node and HubSpot's packages)")
    out = build_apps(tmp_path, BUILT_ORIGIN, "--support-email", "help@connector.example.org",
                     "--hubspot-account", "4242")
    read = subprocess.run(["node", "translate-project.mjs", str(out / "hubspot/src"), "production"], cwd=CARDS,
                          capture_output=True, text=True, timeout=120)
    assert read.returncode == 0, read.stderr
    seen = json.loads(read.stdout)
    plain = {json.loads(p.read_text())["uid"]: json.loads(p.read_text())["config"]
             for p in (built / "hubspot/src/app").rglob("*-hsmeta.json")}
    assert seen == plain
    assert seen["nps_recovery_app"]["permittedUrls"]["fetch"] == [BUILT_ORIGIN]
