"""Reading and writing installations. Tokens go in and out of the database only here,
and only as ciphertext (``TokenCipher``)."""
import json
import logging
import secrets as random_secrets

from sqlalchemy import delete, or_, select, update

from connector.installs import DEFAULT_TENANT
from connector.installs.crypto import TokenCipher
from connector.installs.oauth import Grant
from connector.jobs.queue import enqueue
from connector.ports.ticket_history import PULL_KIND, pull_dedupe_key
from connector.store import ticket_index
from connector.store.models import Job
from connector.store.tenancy import Installation, Tenant

log = logging.getLogger(__name__)


def new_tenant_id() -> str:
    return "t_" + random_secrets.token_hex(8)


def ensure_tenant(session, tenant_id: str, name: str | None = None) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, name=name)
        session.add(tenant)
        session.flush()
    return tenant


def tenant_for_account(session, vendor: str, account: str) -> str | None:
    return session.scalar(select(Installation.tenant_id).where(
        Installation.vendor == vendor, Installation.account == str(account)))


def installation(session, tenant_id: str, vendor: str, *, for_update: bool = False) -> Installation | None:
    query = select(Installation).where(Installation.tenant_id == tenant_id, Installation.vendor == vendor)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


class AccountConflict(Exception):
    """The tenant already has another account of this vendor connected (see ``save_grant``)."""


def save_grant(session, cipher: TokenCipher, tenant_id: str, vendor: str, grant: Grant, now, *,
               may_replace: bool = False) -> Installation:
    """Store a fresh grant. An account belongs to one tenant: re-installing it keeps its tenant.

    Switching a tenant to another account of the vendor deletes the old install, so it happens
    only when the operator asked for it (``may_replace``); otherwise ``AccountConflict``."""
    row = session.scalars(select(Installation).where(
        Installation.vendor == vendor, Installation.account == grant.account)).first()
    if row is None:
        previous = installation(session, tenant_id, vendor)
        if previous is not None and not may_replace:
            raise AccountConflict(f"tenant {tenant_id} already has {vendor} account connected")
        if previous is not None:  # the tenant switches to another account of this vendor
            purge(session, tenant_id, vendor, now, "replaced by another account")
        ensure_tenant(session, tenant_id)
        row = Installation(tenant_id=tenant_id, vendor=vendor, account=grant.account, installed_at=now)
        session.add(row)
    store_tokens(row, cipher, grant, now)
    session.flush()
    if vendor == "zendesk":  # the ticket-history index is backfilled at install (cases.ticket_index)
        enqueue(session, PULL_KIND, 0, tenant_id=row.tenant_id,
                dedupe_key=pull_dedupe_key(row.tenant_id, f"install-{now.timestamp():.0f}"))
    log.info("installation saved tenant=%s vendor=%s", row.tenant_id, vendor)
    return row


def store_tokens(row: Installation, cipher: TokenCipher, grant: Grant, now) -> None:
    row.access_token = cipher.encrypt(grant.access_token)
    row.refresh_token = cipher.encrypt(grant.refresh_token) if grant.refresh_token else row.refresh_token
    row.expires_at, row.refreshed_at = grant.expires_at, now
    if grant.scopes:
        row.scopes = grant.scopes[:1000]


def vendor_jobs(vendor: str):
    return Job.kind.like(f"{vendor}.%")


def purge(session, tenant_id: str, vendor: str, now, reason: str) -> dict:
    """Forget the tokens and cancel the tenant's pending work for ``vendor`` (uninstall, dead token)."""
    removed = session.execute(delete(Installation).where(
        Installation.tenant_id == tenant_id, Installation.vendor == vendor)).rowcount
    cancelled = session.execute(update(Job).where(
        Job.tenant_id == tenant_id, vendor_jobs(vendor), or_(Job.status == "queued", Job.status == "running"),
    ).values(status="cancelled", finished_at=now, lease_until=None, last_error=f"disconnected: {reason}"[:200])
    ).rowcount
    if vendor == "zendesk":  # another account's tickets, or none: a new install backfills again
        ticket_index.forget(session, tenant_id)
    log.warning("installation purged tenant=%s vendor=%s reason=%s jobs_cancelled=%s",
                tenant_id, vendor, reason, cancelled)
    return {"installations": removed, "jobs_cancelled": cancelled}


def tenant_secrets(session, cipher: TokenCipher, tenant_id: str) -> dict:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or not tenant.secrets:
        return {}
    return json.loads(cipher.decrypt(tenant.secrets))


def set_tenant_secrets(session, cipher: TokenCipher, tenant_id: str, updates: dict) -> dict:
    """Merge ``updates`` (an empty value removes a key) into the tenant's encrypted secrets."""
    tenant = ensure_tenant(session, tenant_id)
    current = tenant_secrets(session, cipher, tenant_id)
    current.update(updates)
    current = {k: v for k, v in current.items() if v}
    tenant.secrets = cipher.encrypt(json.dumps(current, sort_keys=True))
    return current


def known_tenant(session, tenant_id: str) -> bool:
    """The environment's own account, or a tenant someone installed."""
    return tenant_id == DEFAULT_TENANT or session.get(Tenant, tenant_id) is not None


def tenant_routing(session, tenant_id: str) -> dict | None:
    """The tenant's own routing mapping (validated when set), or None for the deployment's."""
    tenant = session.get(Tenant, tenant_id)
    return json.loads(tenant.routing) if tenant is not None and tenant.routing else None


def set_tenant_routing(session, tenant_id: str, routing: dict | None) -> None:
    """Store a validated routing mapping for the tenant; None goes back to the deployment's."""
    ensure_tenant(session, tenant_id).routing = None if routing is None else json.dumps(routing, sort_keys=True)


def rotate_all(session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token and secret under the first key; returns the values rewritten."""
    count = 0
    for row in session.scalars(select(Installation)):
        row.access_token = cipher.rotate(row.access_token)
        row.refresh_token = cipher.rotate(row.refresh_token)
        count += 1 + (row.refresh_token is not None)
    for tenant in session.scalars(select(Tenant).where(Tenant.secrets.is_not(None))):
        tenant.secrets = cipher.rotate(tenant.secrets)
        count += 1
    return count
