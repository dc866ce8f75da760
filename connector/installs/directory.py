"""The adapters of one tenant: Zendesk and HubSpot clients on its own OAuth tokens, paced by
its own rate buckets (``<tenant>:zendesk``, ``<tenant>:hubspot``: limits are per account).

Tenant ``default`` is the environment's single account (``RECOVERY_ZENDESK_*``,
``RECOVERY_HUBSPOT_*``). Adapters are cached per tenant for a minute, so an uninstall
seen by another process takes effect here within that time; the token inside is always
current (``TokenProvider``).
"""
import dataclasses
import logging
import threading

from cachetools import LRUCache, TTLCache
from marshmallow import ValidationError

from connector.installs import DEFAULT_TENANT, VENDORS, store
from connector.installs.crypto import TokenCipher
from connector.installs.oauth import HubSpotOAuth, ZendeskOAuth
from connector.installs.tokens import TokenProvider
from connector.store.db import reading, transaction

log = logging.getLogger(__name__)
CACHE_SECONDS = 60
# Per-tenant settings an admin may set: each tenant signs its own webhooks, has its own
# chat channel and may put its calls on its Zendesk business hours (a tenant's value wins over
# the deployment's). Nothing else of the deployment's secrets is ever visible to a tenant.
TENANT_SECRET_KEYS = ("WEBHOOK_SECRET", "TYPEFORM_SECRET", "SURVEYMONKEY_SECRET", "DELIGHTED_SECRET",
                      "FORMBRICKS_SECRET", "ZENDESK_WEBHOOK_SECRET", "SURVEYMONKEY_ACCESS_TOKEN",
                      "CHAT_WEBHOOK_URL", "DELIGHTED_API_KEY", "RESURVEY_WEBHOOK_URL", "RESURVEY_WEBHOOK_SECRET",
                      "CALLS_ON_BUSINESS_HOURS", "HOLDOUT_SHARE", "HOLDOUT_TIERS")


class TenantDirectory:
    def __init__(self, config, sessions, clock, mappings: tuple, default_adapters: tuple, throttle):
        self.config, self.sessions, self.clock = config, sessions, clock
        self.zendesk_mapping, self.hubspot_mapping = mappings
        self.default = default_adapters
        self.throttle = throttle  # (adapter, bucket name, vendor) -> None
        self.cipher = TokenCipher.from_config(config)
        self._cache = TTLCache(maxsize=1000, ttl=CACHE_SECONDS, timer=lambda: self.clock().timestamp())
        self._settings = TTLCache(maxsize=1000, ttl=CACHE_SECONDS, timer=lambda: self.clock().timestamp())
        self._chats = LRUCache(maxsize=1000)  # chat webhook URL -> ChatAlerts (one HTTP session each)
        self._policies = TTLCache(maxsize=1000, ttl=CACHE_SECONDS, timer=lambda: self.clock().timestamp())
        self._lock = threading.Lock()

    def adapters(self, tenant_id: str) -> tuple:
        """(zendesk, hubspot) of ``tenant_id``; None for a vendor it has not connected."""
        if tenant_id == DEFAULT_TENANT:
            return self.default
        with self._lock:
            found = self._cache.get(tenant_id)
            if found is None:
                found = self._cache[tenant_id] = self._build(tenant_id)
            return found

    def chat(self, tenant_id: str):
        """The tenant's own chat channel (its ``CHAT_WEBHOOK_URL``), or None: never another's."""
        from connector.providers.chat import ChatAlerts
        from connector.providers.chat.guard import ChatPolicy

        url = (self.settings(tenant_id) or {}).get("CHAT_WEBHOOK_URL")
        if not url:
            return None
        with self._lock:
            found = self._chats.get(url)
            if found is None:
                found = self._chats[url] = ChatAlerts(url, policy=ChatPolicy.from_config(self.config))
            return found

    def policies(self, tenant_id: str, deployment):
        """The deployment's ``Policies`` with the tenant's own routing, when it set one."""
        from connector.domain.routing import RoutingSchema

        if tenant_id == DEFAULT_TENANT:
            return deployment

        def load():
            with reading(self.sessions) as session:
                own = store.tenant_routing(session, tenant_id)
            if own is None:
                return deployment
            try:
                return dataclasses.replace(deployment, routing=RoutingSchema().load(own))
            except ValidationError as exc:  # stored valid, refused by a later version's rules
                log.error("tenant routing no longer valid, using the deployment's tenant=%s fields=%s",
                          tenant_id, sorted(exc.messages))
                return deployment
        return self._remembered(self._policies, tenant_id, load)

    def _remembered(self, cache: TTLCache, tenant_id: str, load):
        """``cache[tenant_id]``, else ``load()`` outside the lock (it reads the database) and kept
        for a minute; a None (no such tenant) is not kept."""
        with self._lock:
            if tenant_id in cache:
                return cache[tenant_id]
        found = load()
        if found is not None:
            with self._lock:
                cache[tenant_id] = found
        return found

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._cache.pop(tenant_id, None)
            self._settings.pop(tenant_id, None)
            self._policies.pop(tenant_id, None)

    def settings(self, tenant_id: str) -> dict | None:
        """The configuration a tenant's inbound requests are checked with; None for an unknown tenant.

        The deployment's settings without any of its secrets, plus the tenant's own secrets.
        """
        from connector.config import SECRET_KEYS
        from connector.store.tenancy import Tenant

        if tenant_id == DEFAULT_TENANT:
            return self.config

        def load():  # a read: an unknown tenant's flood must not queue for SQLite's write lock
            with reading(self.sessions) as session:
                if session.get(Tenant, tenant_id) is None:
                    return None
                own = store.tenant_secrets(session, self.cipher, tenant_id)
            settings = {k: v for k, v in self.config.items() if k not in SECRET_KEYS}
            settings.update({k: v for k, v in own.items() if k in TENANT_SECRET_KEYS})
            return settings
        return self._remembered(self._settings, tenant_id, load)

    def tenant_of(self, vendor: str, account) -> str | None:
        """The tenant that installed this vendor account (a verified portal id or subdomain).

        Fail closed: an account nobody installed, or traffic that names no account, is no one's
        (None: the caller ignores it, logged and counted) once OAuth installs are on, unless it is
        the account ``default`` is pinned to (``RECOVERY_HUBSPOT_PORTAL_ID``,
        ``RECOVERY_ZENDESK_SUBDOMAIN``). A deployment without OAuth has one account only: its
        traffic is ``default``'s, except an account other than the pinned one.
        """
        if account is not None and str(account):
            with reading(self.sessions) as session:
                found = store.tenant_for_account(session, vendor, str(account))
            if found is not None:
                return found
        else:
            account = None
        pinned = self._pinned(vendor)
        if self.default[VENDORS.index(vendor)] is None:
            found = None  # the environment connects no such account: the traffic is no one's
        elif pinned:
            found = DEFAULT_TENANT if account is not None and str(pinned) == str(account) else None
        else:
            found = DEFAULT_TENANT if self.unnamed_is_default(vendor) else None
        if found is None:
            log.warning("%s traffic of an account nobody installed ignored (account %s)", vendor,
                        "missing" if account is None else "not installed")
        return found

    def _pinned(self, vendor: str):
        return self.config.get("HUBSPOT_PORTAL_ID" if vendor == "hubspot" else "ZENDESK_SUBDOMAIN")

    def unnamed_is_default(self, vendor: str) -> bool:
        """Traffic that names no account (or an unpinned one) is ``default``'s only on a deployment
        of one account: no OAuth installs, no pinned account."""
        from connector.config import oauth_configured

        return not oauth_configured(self.config) and not self._pinned(vendor)

    def _build(self, tenant_id: str) -> tuple:
        from connector.providers.hubspot import HubSpotAdapter
        from connector.providers.hubspot.client import HubSpotClient
        from connector.providers.zendesk import ZendeskAdapter

        with transaction(self.sessions) as session:
            zendesk_row = store.installation(session, tenant_id, "zendesk")
            subdomain = zendesk_row.account if zendesk_row else None
            has_hubspot = store.installation(session, tenant_id, "hubspot") is not None
        zendesk = hubspot = None
        if subdomain is not None:
            oauth = ZendeskOAuth(self.config)
            tokens = TokenProvider(self.sessions, self.cipher, oauth, tenant_id, "zendesk", self.clock)
            account = {"ZENDESK_SUBDOMAIN": subdomain, "ZENDESK_BASE_URL": oauth.account_url(subdomain)}
            zendesk = ZendeskAdapter.from_config(account, self.zendesk_mapping, token_source=tokens)
            self.throttle(zendesk, f"{tenant_id}:zendesk", "zendesk")
        if has_hubspot:
            tokens = TokenProvider(self.sessions, self.cipher, HubSpotOAuth(self.config), tenant_id, "hubspot",
                                   self.clock)
            client = HubSpotClient(None, self.config.get("HUBSPOT_BASE_URL") or None, token_source=tokens)
            hubspot = HubSpotAdapter(client, self.hubspot_mapping)
            self.throttle(hubspot, f"{tenant_id}:hubspot", "hubspot")
        return zendesk, hubspot
