"""Shared set-up for the installs tests: a runtime with an encryption key and OAuth apps."""
from datetime import datetime, timedelta, timezone

from connector.infra.clock import FrozenClock
from connector.installs.crypto import generate_key
from connector.installs.oauth import Grant
from tests.conftest import make_config, make_runtime

HUBSPOT_API = "https://api.hubapi.com"
ZENDESK_ACCOUNT = "https://acme.zendesk.com"
START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def oauth_config(db_url: str, **overrides) -> dict:
    return make_config(db_url, ENCRYPTION_KEYS=generate_key(), HUBSPOT_CLIENT_ID="hs-client",
                       HUBSPOT_CLIENT_SECRET="hs-client-secret", ZENDESK_CLIENT_ID="zd-client",
                       ZENDESK_CLIENT_SECRET="zd-client-secret", **overrides)


def oauth_runtime(db_url: str, **overrides):
    return make_runtime(oauth_config(db_url, **overrides), clock=FrozenClock(START))


def grant(account: str, access: str = "access-1", refresh: str = "refresh-1", minutes: int = 30) -> Grant:
    return Grant(access, refresh, START + timedelta(minutes=minutes), account, "read write")
