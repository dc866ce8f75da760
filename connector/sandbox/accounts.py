"""Start several Zendesk accounts and HubSpot portals, with OAuth, for multi-tenant tests.

    with start_accounts(zendesk=["acme", "globex"], hubspot=[101, 202],
                        oauth_client=dict(client_id="cid", client_secret="secret",
                                          redirect_uris=["http://app.test/callback"],
                                          scopes=["oauth", "crm.objects.contacts.write"]),
                        token_ttl=5, clock=clock) as vendors:
        vendors.zendesk_account("acme").url   # ZENDESK_BASE_URL of account acme
        vendors.hubspot_portal(101).url       # HUBSPOT_BASE_URL (one host for every portal)

Each account keeps its own stand-in state, ``calls`` (CallLog), ``callers``
(who called it: token and install) and OAuth token store (``oauth``, with the
``refreshes``/``refresh_reuse`` counters and ``revoke()``). Pass a ``ManualClock``
as ``clock`` to move token expiry without sleeping.
"""
import time
from dataclasses import dataclass, field

from connector.sandbox.hubspot_portals import ACCESS_TTL as HUBSPOT_ACCESS_TTL
from connector.sandbox.hubspot_portals import HubSpotPortal, HubSpotPortals
from connector.sandbox.oauth import OAuthClient
from connector.sandbox.server import BackgroundServer
from connector.sandbox.zendesk_accounts import REFRESH_TTL, ZendeskAccount, ZendeskAccounts


@dataclass
class RunningAccounts:
    """The running stand-ins; ``stop()`` (or leaving the ``with`` block) shuts them down."""

    zendesk: ZendeskAccounts | None
    hubspot: HubSpotPortals | None
    clock: object
    servers: dict[str, BackgroundServer] = field(default_factory=dict)

    @property
    def zendesk_url(self) -> str:
        return self.servers["zendesk"].url

    @property
    def hubspot_url(self) -> str:
        return self.servers["hubspot"].url

    def zendesk_account(self, subdomain: str) -> ZendeskAccount:
        return self.zendesk.account(subdomain)

    def hubspot_portal(self, hub_id: int) -> HubSpotPortal:
        return self.hubspot.portal(hub_id)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> "RunningAccounts":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_accounts(zendesk=(), hubspot=(), *, oauth_client, zendesk_oauth_client=None,
                   token_ttl: float | None = None, refresh_ttl: float | None = REFRESH_TTL,
                   clock=time.monotonic, zendesk_rate_per_minute: int | None = None,
                   hubspot_rate_limit: int | None = None) -> RunningAccounts:
    """Serve the given Zendesk subdomains and HubSpot portal ids on two loopback ports.

    ``oauth_client`` (an ``OAuthClient`` or a dict of client_id, client_secret,
    redirect_uris, scopes) is the app registered with both vendors; its ``scopes``
    are the HubSpot app's. On Zendesk the same credentials act as a global OAuth
    client allowing any Zendesk scope, unless ``zendesk_oauth_client`` is given.
    ``token_ttl``: access-token lifetime on both (default: each vendor's);
    ``refresh_ttl``: Zendesk refresh-token lifetime (HubSpot's do not expire).
    """
    client = OAuthClient.of(oauth_client)
    zendesk_client = OAuthClient.of(zendesk_oauth_client) if zendesk_oauth_client else \
        OAuthClient(client.client_id, client.client_secret, client.redirect_uris)
    running = RunningAccounts(None, None, clock)
    try:
        if zendesk:
            options = {} if token_ttl is None else {"access_ttl": token_ttl}
            running.zendesk = ZendeskAccounts(zendesk, zendesk_client, clock=clock, refresh_ttl=refresh_ttl,
                                              rate_limit_per_minute=zendesk_rate_per_minute, **options)
            running.servers["zendesk"] = BackgroundServer(running.zendesk).start()
            for account in running.zendesk.accounts.values():
                account.url = f"{running.zendesk_url}/{account.subdomain}"
        if hubspot:
            running.hubspot = HubSpotPortals(hubspot, client, clock=clock, rate_limit=hubspot_rate_limit,
                                             access_ttl=HUBSPOT_ACCESS_TTL if token_ttl is None else token_ttl)
            running.servers["hubspot"] = BackgroundServer(running.hubspot).start()
            for portal in running.hubspot.portals.values():
                portal.url = running.hubspot_url
    except BaseException:
        running.stop()
        raise
    return running
