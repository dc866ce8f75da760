"""Tables of the multi-tenant installs: tenants and their connected vendor accounts.

Tokens and secrets are stored as Fernet ciphertext only (``connector.installs.crypto``):
a copy of the database file reveals no credential.
"""
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.store.base import Base, UTCDateTime, utcnow


class Tenant(Base):
    """A company using the connector. ``secrets`` (ciphertext of a JSON object) holds its own
    webhook signing secrets, e.g. ``WEBHOOK_SECRET``, ``TYPEFORM_SECRET``; ``routing`` its own
    case owners per value tier (none: the deployment's ``mappings/routing.json``)."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    secrets: Mapped[str | None] = mapped_column(Text)
    routing: Mapped[str | None] = mapped_column(Text)  # JSON, as mappings/routing.json: its own owners


class Installation(Base):
    """One vendor account (a Zendesk subdomain, a HubSpot portal) connected by OAuth to a tenant."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("vendor", "account", name="uq_installation_account"),
                      UniqueConstraint("tenant_id", "vendor", name="uq_installation_tenant_vendor"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    vendor: Mapped[str] = mapped_column(String(16))            # zendesk | hubspot
    account: Mapped[str] = mapped_column(String(200))          # subdomain | hub id
    access_token: Mapped[str] = mapped_column(Text)            # ciphertext
    refresh_token: Mapped[str | None] = mapped_column(Text)    # ciphertext
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(String(1000))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_lock_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # one refresh at a time


class ConnectLink(Base):
    """A link that connects a vendor to an existing tenant: single use (``used_at``), bound to the
    first browser that opens it (``browser``: SHA-256 of that browser's cookie nonce), and
    allowed to replace an account already connected only when the operator asked (``may_replace``)."""

    __tablename__ = "connect_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, and signed in the URL
    tenant_id: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(16))
    may_replace: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    browser: Mapped[str | None] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
