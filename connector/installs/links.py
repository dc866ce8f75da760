"""Connect links: "connect the other vendor to this company", sent to the company's admin.

A link is a bearer credential for one tenant, so it is kept on the server and spent:

* **single use**: the OAuth callback consumes it (one conditional UPDATE, so two callbacks
  racing cannot both win);
* **bound to a browser**: the first browser that opens it claims it (the SHA-256 of a random
  nonce kept in that browser's cookie); any other browser is refused, even within the hour;
* **never a silent replacement**: a link connects a vendor the tenant has not connected; only
  a link the operator made with ``may_replace`` may switch the tenant to another account.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update

from connector.store.tenancy import ConnectLink

LINK_SECONDS = 3600


class LinkRefused(Exception):
    """Why a connect link cannot be used; ``status`` is the page's HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def browser_hash(nonce: str | None) -> str | None:
    return hashlib.sha256(nonce.encode()).hexdigest() if nonce else None


def new_browser_nonce() -> str:
    return secrets.token_urlsafe(24)


def create(session, tenant_id: str, vendor: str, now: datetime, *, may_replace: bool = False,
           browser_nonce: str | None = None) -> ConnectLink:
    """A new link; ``browser_nonce`` binds it at once (the link shown to the admin who installed)."""
    link = ConnectLink(id=secrets.token_urlsafe(24), tenant_id=tenant_id, vendor=vendor, may_replace=may_replace,
                       created_at=now, expires_at=now + timedelta(seconds=LINK_SECONDS),
                       browser=browser_hash(browser_nonce))
    session.add(link)
    session.flush()
    return link


def _usable(session, link_id: str, vendor: str, now: datetime) -> ConnectLink:
    link = session.get(ConnectLink, link_id)
    if link is None or link.vendor != vendor or link.expires_at < now:
        raise LinkRefused(400, "This connect link has expired. Ask for a new one.")
    if link.used_at is not None:
        raise LinkRefused(400, "This connect link has already been used. Ask for a new one.")
    return link


def claim(session, link_id: str, vendor: str, browser_nonce: str, now: datetime) -> ConnectLink:
    """Opening the link: the first browser claims it; another browser is refused."""
    link = _usable(session, link_id, vendor, now)
    mine = browser_hash(browser_nonce)
    if link.browser is None:
        claimed = session.execute(update(ConnectLink).where(
            ConnectLink.id == link_id, ConnectLink.browser.is_(None)).values(browser=mine)).rowcount
        session.refresh(link)
        if not claimed and link.browser != mine:
            raise LinkRefused(403, "This connect link was opened in another browser. Ask for a new one.")
    elif not secrets.compare_digest(link.browser, mine or ""):
        raise LinkRefused(403, "This connect link was opened in another browser. Ask for a new one.")
    return link


def consume(session, link_id: str, vendor: str, browser_nonce: str | None, now: datetime) -> ConnectLink:
    """The OAuth callback: spend the link, in the browser that claimed it, exactly once."""
    link = _usable(session, link_id, vendor, now)
    mine = browser_hash(browser_nonce)
    if mine is None:  # never compare with NULL: SQLAlchemy would turn it into IS NULL
        raise LinkRefused(403, "This connect link was opened in another browser or already used.")
    spent = session.execute(update(ConnectLink).where(
        ConnectLink.id == link_id, ConnectLink.used_at.is_(None), ConnectLink.browser == mine,
    ).values(used_at=now)).rowcount
    if not spent:
        raise LinkRefused(403, "This connect link was opened in another browser or already used.")
    session.refresh(link)
    return link
