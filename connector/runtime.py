"""Everything a web process or a worker needs, built once from the configuration.

Like a Bolt ``App``: the web framework (Flask) and the worker loop are thin
edges around this object; neither reads the environment itself.
"""
from __future__ import annotations

import dataclasses
import gc
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.cases.catalog import build_registry
from connector.config import PREFIX, ConfigError
from connector.domain.policies import Policies, load_policies
from connector.inbound.sources.registry import load_mappings as load_survey_mappings
from connector.inbound.standard_webhooks import decode_secret
from connector.infra.clock import system_clock
from connector.installs.crypto import TokenCipher
from connector.installs.directory import TenantDirectory
from connector.jobs.queue import RetryPolicy
from connector.jobs.registry import Registry
from connector.mappings import check_folder as check_mapping_folder
from connector.store.db import CLOCK as SESSION_CLOCK
from connector.store.db import install_schema, make_engine, make_session_factory

if TYPE_CHECKING:
    from connector.ports.vendors import ChatPort, HubSpotPort, ResurveyPort, ZendeskPort


@dataclass
class Runtime:
    config: dict[str, Any]
    engine: Engine
    sessions: sessionmaker[Session]
    policies: Policies
    zendesk: ZendeskPort | None
    hubspot: HubSpotPort | None
    chat: ChatPort | None = None
    clock: Callable[[], datetime] = system_clock
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    wake: threading.Event = field(default_factory=threading.Event)
    survey_mappings: dict[str, Any] = field(default_factory=dict)  # vendor -> mapping (inbound.sources)
    directory: TenantDirectory | None = None  # adapters, chat and owners per tenant
    tenant_id: str = "default"
    registry: Registry = field(default_factory=Registry)  # job kinds -> handlers (cases.catalog)
    rng: random.Random = field(default_factory=random.Random)  # the holdout draw; tests seed it

    @property
    def rules(self) -> dict[str, Any]:
        return self.policies.rules

    def for_tenant(self, tenant_id: str) -> Runtime:
        """This runtime seen from one tenant: its own Zendesk and HubSpot adapters, chat and owners.

        Handlers only ever see ``rt.zendesk`` / ``rt.hubspot`` / ``rt.chat``, so a job of
        tenant A cannot reach tenant B's accounts or channel. The deployment's chat webhook
        is the default tenant's; another tenant posts to the one it set, or nowhere.
        """
        if tenant_id == self.tenant_id or self.directory is None:
            return self
        zendesk, hubspot = self.directory.adapters(tenant_id)
        chat = self.chat if tenant_id == "default" else self.directory.chat(tenant_id)
        return dataclasses.replace(self, zendesk=zendesk, hubspot=hubspot, tenant_id=tenant_id, chat=chat,
                                   policies=self.directory.policies(tenant_id, self.policies))

    def resurvey_senders(self) -> Mapping[str, ResurveyPort]:
        """The survey tools this tenant configured to send its re-surveys (its Delighted API key,
        its re-survey webhook); the deployment's settings are tenant ``default``'s only."""
        from connector.providers.surveys import senders

        settings = (self.config if self.tenant_id == "default" or self.directory is None
                    else self.directory.settings(self.tenant_id) or {})
        secret = settings.get("RESURVEY_WEBHOOK_SECRET")
        return senders(settings, _webhook_signer(secret) if secret else None)

    def notify(self) -> None:
        """Tell in-process workers there is new work (after the commit)."""
        self.wake.set()


def _webhook_signer(secret: str) -> Callable[[str, int, bytes], str]:
    """Sign outbound webhooks with the same Standard Webhooks code that verifies inbound ones."""
    from connector.inbound import standard_webhooks
    from connector.ports.errors import PermanentError

    try:
        key = decode_secret(secret.split()[0])  # during a rotation the first secret signs
    except ValueError:  # a tenant's own setting (the deployment's is checked at start)
        raise PermanentError("RESURVEY_WEBHOOK_SECRET must be whsec_<base64>") from None
    return lambda msg_id, stamp, body: standard_webhooks.sign(key, msg_id, stamp, body)


def build_adapters(config: dict[str, Any], mappings_dir: str | None = None) -> tuple[Any, Any]:
    from connector.config import hubspot_configured, zendesk_configured
    from connector.providers.hubspot import HubSpotAdapter
    from connector.providers.hubspot.mapping import load_hubspot_mapping
    from connector.providers.zendesk import ZendeskAdapter
    from connector.providers.zendesk.mapping import load_zendesk_mapping

    zendesk_mapping = load_zendesk_mapping(mappings_dir)  # validated even when unused
    hubspot_mapping = load_hubspot_mapping(mappings_dir)
    zendesk = ZendeskAdapter.from_config(config, zendesk_mapping) if zendesk_configured(config) else None
    hubspot = HubSpotAdapter.from_config(config, hubspot_mapping) if hubspot_configured(config) else None
    return zendesk, hubspot


def _throttle(adapter: Any, sessions: sessionmaker[Session], name: str, limit: int, window: float,
              clock: Callable[[], datetime]) -> None:
    """Pace the adapter's calls with a limiter shared by every worker on every machine."""
    if adapter is not None and limit > 0 and hasattr(adapter, "set_throttle"):
        from connector.store.ratelimit import SharedRateLimiter
        adapter.set_throttle(SharedRateLimiter(sessions, name, limit, window, clock).throttle)


def check_config(config: dict[str, Any]) -> None:
    """Validate settings whose format is known (Standard Webhooks secrets, the mappings folder)."""
    folder = config.get("MAPPINGS_DIR")
    if folder and not Path(folder).is_dir():
        raise ConfigError(f"{PREFIX}MAPPINGS_DIR={folder}: no such folder")
    check_mapping_folder(folder)
    try:
        TokenCipher.from_config(config)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    if not 1 <= int(config.get("BATCH_LIMIT", 100)) <= 100:
        raise ConfigError(f"{PREFIX}BATCH_LIMIT must be between 1 and 100 (the vendors' batch limit)")

    if config.get("RESURVEY_WEBHOOK_URL") and not config.get("RESURVEY_WEBHOOK_SECRET"):
        raise ConfigError(f"{PREFIX}RESURVEY_WEBHOOK_URL needs {PREFIX}RESURVEY_WEBHOOK_SECRET (whsec_<base64>) to sign with")

    for key in ("WEBHOOK_SECRET", "FORMBRICKS_SECRET", "RESURVEY_WEBHOOK_SECRET"):
        for secret in str(config.get(key) or "").split():
            try:
                decode_secret(secret)
            except ValueError:
                raise ConfigError(f"{PREFIX}{key} must be whsec_<base64> (several separated by spaces)") from None


def build_runtime(config: dict[str, Any], *, clock: Callable[[], datetime] = system_clock,
                  adapters: tuple[Any, Any] | None = None) -> Runtime:
    """``adapters`` = (zendesk, hubspot) replaces the configured ones (tests)."""
    check_config(config)
    # Every mapping file validated at start, before the database is touched: a typo stops start-up
    # without leaving a new, empty database behind.
    loaded = load_policies(config.get("MAPPINGS_DIR"))
    survey_mappings = load_survey_mappings(config.get("MAPPINGS_DIR"))
    engine = make_engine(config["DATABASE_URL"], synchronous=config.get("SQLITE_SYNCHRONOUS") or "FULL",
                         slow_write_ms=float(config.get("SQLITE_SLOW_WRITE_MS") or 0))
    install_schema(engine)
    zendesk, hubspot = adapters if adapters is not None else build_adapters(config, config.get("MAPPINGS_DIR"))
    policy = RetryPolicy(max_attempts=int(config["JOB_MAX_ATTEMPTS"]),
                         base=float(config["JOB_BACKOFF_BASE_SECONDS"]),
                         cap=float(config["JOB_BACKOFF_CAP_SECONDS"]))
    from connector.providers.chat import ChatAlerts
    from connector.providers.hubspot.mapping import load_hubspot_mapping
    from connector.providers.zendesk.mapping import load_zendesk_mapping

    sessions = make_session_factory(engine)
    limits = {"zendesk": (int(config["ZENDESK_CALLS_PER_MINUTE"]), 60.0),
              "hubspot": (int(config["HUBSPOT_CALLS_PER_10S"]), 10.0)}

    def throttle(adapter: Any, bucket: str, vendor: str) -> None:
        _throttle(adapter, sessions, bucket, *limits[vendor], clock)
        export_limit = int(config["ZENDESK_EXPORT_CALLS_PER_MINUTE"])
        if vendor == "zendesk" and export_limit > 0 and adapter is not None and hasattr(adapter, "set_export_throttle"):
            # The incremental export's own limit, shared like the account's (cases.ticket_index).
            from connector.store.ratelimit import SharedRateLimiter
            export = SharedRateLimiter(sessions, f"{bucket}-export", export_limit, 60.0, clock)
            adapter.set_export_throttle(export.throttle)

    throttle(zendesk, "default:zendesk", "zendesk")
    throttle(hubspot, "default:hubspot", "hubspot")
    mappings_dir = config.get("MAPPINGS_DIR")
    directory = TenantDirectory(config, sessions, clock, (load_zendesk_mapping(mappings_dir),
                                                          load_hubspot_mapping(mappings_dir)),
                                (zendesk, hubspot), throttle)
    runtime = Runtime(config=config, engine=engine, sessions=sessions,
                      policies=loaded, zendesk=zendesk, hubspot=hubspot, chat=ChatAlerts.from_config(config),
                      clock=clock, policy=policy, survey_mappings=survey_mappings, directory=directory,
                      registry=build_registry(lambda: float(config["SCHEDULER_INTERVAL_SECONDS"])))
    # A session's "now" (a job due at once) is the runtime's clock, read when used: one a test
    # moves after start-up dates the queue's jobs as it dates the answers.
    sessions.configure(info={SESSION_CLOCK: lambda: runtime.clock()})
    return runtime


def settle_heap() -> None:
    """Once a server process has built what it keeps (app, runtime, mappings, models).

    A full garbage collection walks every live object: ~80,000 after start-up, 50-100 ms
    with the process stalled, every few thousand webhooks: a p99 spike. Frozen objects
    are left out of every later collection (and a forked child shares their pages).
    """
    gc.collect()
    gc.freeze()
