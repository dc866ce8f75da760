"""Sandbox mode: start both stand-ins and point the configuration at them."""
import base64
import secrets

from connector.sandbox.hubspot import create_hubspot_standin
from connector.sandbox.server import BackgroundServer
from connector.sandbox.zendesk import create_zendesk_standin

SANDBOX_EMAIL = "sandbox-agent@example.com"


def start_sandbox(config: dict) -> dict:
    """Start the stand-ins on loopback ports; fill the vendor keys of ``config``.

    Returns the running servers by vendor. Secrets the admin did not set are
    generated for this run only.
    """
    zendesk_token = secrets.token_urlsafe(24)
    hubspot_token = "pat-sandbox-" + secrets.token_urlsafe(24)
    zendesk = BackgroundServer(create_zendesk_standin(
        rate_limit_per_minute=config.get("SANDBOX_ZENDESK_RATE_PER_MINUTE"),
        email=SANDBOX_EMAIL, api_token=zendesk_token)).start()
    hubspot = BackgroundServer(create_hubspot_standin(
        rate_limit=config.get("SANDBOX_HUBSPOT_RATE_PER_10S"),
        access_tokens=[hubspot_token])).start()
    from connector.domain.routing import load_routing

    routing = load_routing(config.get("MAPPINGS_DIR"))
    zendesk.app.extensions["zendesk_standin"].seed_agents(routing)
    hubspot.app.extensions["hubspot_standin"].seed_owners(routing)
    config.update(
        SANDBOX=True,
        ZENDESK_SUBDOMAIN="sandbox", ZENDESK_EMAIL=SANDBOX_EMAIL, ZENDESK_API_TOKEN=zendesk_token,
        ZENDESK_BASE_URL=zendesk.url, HUBSPOT_ACCESS_TOKEN=hubspot_token, HUBSPOT_BASE_URL=hubspot.url,
    )
    invented = []  # printed at start (the user needs them to send and sign in); the user's own never are
    if not config.get("WEBHOOK_SECRET"):
        config["WEBHOOK_SECRET"] = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        invented.append("WEBHOOK_SECRET")
    if not config.get("ADMIN_TOKEN"):
        config["ADMIN_TOKEN"] = secrets.token_urlsafe(24)
        invented.append("ADMIN_TOKEN")
    config["SANDBOX_INVENTED"] = tuple(invented)
    return {"zendesk": zendesk, "hubspot": hubspot}
