"""What a sandbox prints once it serves: where everything is and the secrets it invented.

``recovery serve --sandbox`` and ``make run`` (the demo) invent the webhook secret and the admin
token when none is set; without them printed nobody could sign an answer or open the dashboard.
A secret the user set themselves is never echoed. The screens' URL carries the sandbox-only token
(``connector/web/ui/sandbox_screens.py``), so the Zendesk sidebar and the HubSpot card of a case
can be seen without Zendesk's RSA-signed JWT or HubSpot's signature.
"""
import os
import shutil
import sys

from connector.infra.resources import data_folder
from connector.web.ui.sandbox_screens import screen_urls, screens_token


def _sample() -> str:
    """A bundled sample, named as this terminal can reach it."""
    path = str(data_folder("webhooks/samples") / "01-marie-nps-3.json")
    return os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path


def _command() -> str:
    """How this terminal calls ``recovery`` (``.venv/bin/recovery`` under ``make run``)."""
    argv0 = os.path.abspath(sys.argv[0])
    if os.path.basename(argv0) != "recovery" or shutil.which("recovery") == argv0:
        return "recovery"
    return os.path.relpath(argv0) if argv0.startswith(os.getcwd() + os.sep) else argv0


def _secret_line(config: dict, name: str) -> str:
    if name in config.get("SANDBOX_INVENTED", ()):
        return f"  RECOVERY_{name}={config[name]}   (invented for this run)"
    return f"  RECOVERY_{name}: yours, from the environment"


def signing_app(config: dict):
    """A bare Flask app holding the configuration: the screens' token is signed with its key.

    The web app itself lives in gunicorn's web processes; the banner is printed by the parent.
    """
    from flask import Flask

    app = Flask("recovery-banner")
    app.config.update(config)
    return app


def sandbox_banner(app, config: dict, servers: dict, base_url: str) -> list[str]:
    """The lines to print (inside no request: the token is signed in an app context of ``app``)."""
    with app.app_context():
        token = screens_token()
    secret_env = (f"RECOVERY_WEBHOOK_SECRET={config['WEBHOOK_SECRET']} "
                  if "WEBHOOK_SECRET" in config.get("SANDBOX_INVENTED", ()) else "")
    return [
        f"Sandbox: the connector at {base_url}, against stand-ins started for this run "
        "(their tickets and contacts are gone when it stops)",
        f"  Zendesk stand-in: {servers['zendesk'].url}   HubSpot stand-in: {servers['hubspot'].url}",
        _secret_line(config, "WEBHOOK_SECRET"),
        _secret_line(config, "ADMIN_TOKEN"),
        f"  Send an answer:  {secret_env}{_command()} send --url {base_url} {_sample()}",
        f"  Dashboard:       {base_url}/dashboard   (sign in with the admin token)",
        f"  Screens:         {base_url}/sandbox/screens?token={token}",
        "                   (each case's Zendesk sidebar and HubSpot card; sandbox mode only)",
    ]


def case_screen_lines(app, base_url: str, case: dict) -> list[str]:
    """The two screens of one case (a case as ``GET /api/cases/<id>`` shows it)."""
    with app.app_context():
        urls = screen_urls(base_url, screens_token(), case)
    return [f"  Zendesk sidebar of case #{case['id']}: {urls['sidebar'] or '(no ticket yet)'}",
            f"  HubSpot card of case #{case['id']}:    {urls['card']}"]
