"""``recovery apps build``: the two marketplace apps rendered for one deployment's origin.

``manifest/`` holds the apps as templates for ``https://recovery.example.com``. The build writes:

- ``zendesk-app.zip``: the ZAF app as Zendesk uploads it (``manifest.json``, ``assets/``,
  ``translations/`` at the root of the zip), every mention of the template origin replaced;
- ``hubspot/``: the HubSpot project. Its ``*-hsmeta.json`` files name their URLs with HubSpot
  config-profile variables (``${OAUTH_REDIRECT_URL}``...), which HubSpot fills from
  ``src/hsprofile.<name>.json`` at upload: with ``--hubspot-account`` the build writes that
  profile (upload with ``hs project upload --profile production``); without it the variables are
  filled in here, so the project uploads as it is. The cards read the profile's ``CONNECTOR_ORIGIN``
  from ``context.variables`` when HubSpot gives it, else their ``CONNECTOR_URL``, written in here.
"""
import json
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import click

from connector.infra.resources import data_folder

TEMPLATE_ORIGIN = "https://recovery.example.com"
TEMPLATE_SUPPORT_EMAIL = "support@recovery-connector.example.com"
PROFILE = "production"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
ZENDESK_PARTS = ("manifest.json", "assets", "translations")
# What HubSpot's upload needs from the card folder; node_modules and build output stay behind.
CARD_FILES = ("*-hsmeta.json", "*.tsx", "package.json", "package-lock.json", "tsconfig.json", "build.mjs",
              "eslint.config.js", ".prettierrc.json")
HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|::1")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class OriginError(click.ClickException):
    pass


def check_origin(origin: str) -> str:
    """``scheme://host[:port]`` of an HTTPS origin (HTTP only on this machine), else one line."""
    parts = urlsplit(origin.strip())
    host = parts.hostname or ""
    try:
        parts.port  # noqa: B018 - raises on a port that is not one
    except ValueError:
        host = ""
    if parts.scheme not in ("https", "http") or not HOST.fullmatch(host):
        raise OriginError(f"--origin {origin!r} is not a URL like https://connector.example.org")
    if parts.scheme == "http" and host not in LOOPBACK:
        raise OriginError(f"--origin must be https:// (HubSpot and Zendesk call only HTTPS), not {origin}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise OriginError(f"--origin is the connector's origin only (no path, query or user): {origin}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def hubspot_variables(origin: str, support_email: str) -> dict[str, str]:
    """The config-profile variables of the HubSpot project's ``*-hsmeta.json`` files."""
    return {"CONNECTOR_ORIGIN": origin, "OAUTH_REDIRECT_URL": f"{origin}/oauth/hubspot/callback",
            "WEBHOOK_TARGET_URL": f"{origin}/webhooks/hubspot", "DOCUMENTATION_URL": f"{origin}/docs",
            "SUPPORT_URL": f"{origin}/support", "SUPPORT_EMAIL": support_email}


def fill_variables(text: str, variables: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        if match[1] not in variables:
            raise click.ClickException(f"HubSpot template names an unknown variable ${{{match[1]}}}")
        return json.dumps(variables[match[1]])[1:-1]  # inside a JSON string
    return VARIABLE.sub(value, text)


def build_zendesk(source: Path, out: Path, origin: str, support_email: str) -> Path:
    """The zip, byte for byte the same for the same inputs (fixed entry dates, sorted names)."""
    target = out / "zendesk-app.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for part in ZENDESK_PARTS for p in _files(source / part)):
            data = path.read_bytes()
            if path.suffix == ".json":
                text = data.decode("utf-8").replace(TEMPLATE_ORIGIN, origin)
                data = text.replace(TEMPLATE_SUPPORT_EMAIL, support_email).encode("utf-8")
            entry = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=ZIP_DATE)
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def build_hubspot(source: Path, out: Path, origin: str, support_email: str, account: int | None) -> Path:
    target = out / "hubspot"
    if target.exists():
        shutil.rmtree(target)
    variables = hubspot_variables(origin, support_email)
    cards = source / "src/app/cards"
    files = [source / "hsproject.json", *sorted((source / "src/app").glob("*-hsmeta.json")),
             *sorted((source / "src/app/webhooks").glob("*-hsmeta.json")),
             *sorted({p for pattern in CARD_FILES for p in cards.glob(pattern)})]
    for path in files:
        written = target / path.relative_to(source)
        written.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8")
        if path.name.endswith("-hsmeta.json") and account is None:
            text = fill_variables(text, variables)
        elif path.suffix == ".tsx":
            text = text.replace(f'"{TEMPLATE_ORIGIN}"', json.dumps(origin))
        written.write_text(text, encoding="utf-8")
    if account is not None:
        profile = {"accountId": account, "variables": variables}
        (target / f"src/hsprofile.{PROFILE}.json").write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
    return target


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]


@click.group()
def apps():
    """The Zendesk and HubSpot marketplace apps of this deployment."""


@apps.command()
@click.option("--origin", required=True, help="The connector's public HTTPS origin, e.g. https://connector.example.org")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--support-email", default=TEMPLATE_SUPPORT_EMAIL, show_default=True,
              help="Where the listings send customers' questions.")
@click.option("--hubspot-account", type=int, default=None,
              help="Developer account id: write src/hsprofile.production.json instead of filling the variables in.")
def build(origin: str, out: Path, support_email: str, hubspot_account: int | None):
    """Render both apps for ORIGIN into OUT: zendesk-app.zip and hubspot/."""
    origin = check_origin(origin)
    if not EMAIL.fullmatch(support_email):  # it is written into JSON and HTML: plain addresses only
        raise click.ClickException(f"--support-email is not an e-mail address: {support_email!r}")
    manifests = data_folder("manifest")
    out.mkdir(parents=True, exist_ok=True)
    zipped = build_zendesk(manifests / "zendesk", out, origin, support_email)
    project = build_hubspot(manifests / "hubspot", out, origin, support_email, hubspot_account)
    click.echo(f"Zendesk app: {zipped}")
    click.echo(f"HubSpot project: {project}" + (f" (upload with: hs project upload --profile {PROFILE})"
                                                if hubspot_account is not None else ""))
