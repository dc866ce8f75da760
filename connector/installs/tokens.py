"""A valid OAuth access token on demand, for one tenant's account at one vendor.

* Refreshed ``REFRESH_MARGIN`` before it expires, so calls never start with a token
  about to die.
* One refresh at a time per account, across threads and processes: the refresher takes a
  short lease on the installation row with a conditional UPDATE (like a job claim) and
  makes the HTTP call outside any transaction. Zendesk rotates refresh tokens on every
  refresh, so two concurrent refreshes would leave one process with a deleted token.
  Meanwhile the others keep using the current token while it is still valid, or retry
  the job shortly.
* A refresh the vendor refuses for good (``invalid_grant``) purges the installation and
  cancels the tenant's pending work for that vendor: ``NotConnected``.
"""
import logging
import threading
from datetime import timedelta

from sqlalchemy import or_, update

from connector.installs import store
from connector.installs.oauth import InvalidGrant
from connector.ports.errors import PermanentError, RetryableError
from connector.store.db import transaction
from connector.store.tenancy import Installation

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
REFRESH_LEASE = timedelta(seconds=30)


class NotConnected(PermanentError):
    """The tenant has not connected this vendor (or its grant was revoked): nothing to call."""


class TokenProvider:
    def __init__(self, sessions, cipher, oauth, tenant_id: str, vendor: str, clock):
        self.sessions, self.cipher, self.oauth, self.clock = sessions, cipher, oauth, clock
        self.tenant_id, self.vendor = tenant_id, vendor
        self._lock = threading.Lock()
        self._token, self._expires_at = None, None

    def __call__(self) -> str:
        if self._fresh(self._expires_at) and self._token:
            return self._token
        with self._lock:  # threads of this process queue here; processes meet at the lease
            return self._load_or_refresh()

    def _fresh(self, expires_at) -> bool:
        return expires_at is None or expires_at - self.clock() > REFRESH_MARGIN

    def _load_or_refresh(self) -> str:
        now = self.clock()
        with transaction(self.sessions) as session:
            row = store.installation(session, self.tenant_id, self.vendor)
            if row is None:
                raise NotConnected(f"{self.vendor} is not connected for this tenant")
            token, expires_at = self.cipher.decrypt(row.access_token), row.expires_at
            if self._fresh(expires_at) or not row.refresh_token:
                self._token, self._expires_at = token, expires_at
                return token
            claimed = session.execute(update(Installation).where(
                Installation.id == row.id, Installation.expires_at == expires_at,
                or_(Installation.refresh_lock_until.is_(None), Installation.refresh_lock_until < now),
            ).values(refresh_lock_until=now + REFRESH_LEASE)).rowcount == 1
            refresh_token, account = self.cipher.decrypt(row.refresh_token), row.account
        if not claimed:  # another worker is refreshing right now
            if expires_at is not None and expires_at > now:
                return token  # still valid for a few minutes: go on with it
            raise RetryableError(f"{self.vendor} token refresh in progress", retry_after=1.0)
        return self._refresh(refresh_token, account)

    def _refresh(self, refresh_token: str, account: str) -> str:
        try:
            grant = self.oauth.refresh(refresh_token, account, self.clock())
        except InvalidGrant:
            with transaction(self.sessions) as session:
                store.purge(session, self.tenant_id, self.vendor, self.clock(), "refresh refused by the vendor")
            self._token = self._expires_at = None
            raise NotConnected(f"{self.vendor} refused the refresh token; the account must be reconnected") from None
        except Exception:
            self._release()
            raise
        with transaction(self.sessions) as session:
            row = store.installation(session, self.tenant_id, self.vendor)
            if row is None:  # uninstalled while we refreshed
                raise NotConnected(f"{self.vendor} was disconnected")
            store.store_tokens(row, self.cipher, grant, self.clock())
            row.refresh_lock_until = None
        self._token, self._expires_at = grant.access_token, grant.expires_at
        log.info("oauth token refreshed tenant=%s vendor=%s", self.tenant_id, self.vendor)
        return grant.access_token

    def _release(self) -> None:
        with transaction(self.sessions) as session:
            session.execute(update(Installation).where(
                Installation.tenant_id == self.tenant_id, Installation.vendor == self.vendor,
            ).values(refresh_lock_until=None))

    def rejected(self, token: str) -> None:
        """The vendor answered 401 to ``token``: treat it as expired so the next call refreshes."""
        with self._lock:
            if self._token == token:
                self._expires_at = self.clock()
            with transaction(self.sessions) as session:
                row = store.installation(session, self.tenant_id, self.vendor)
                if row is not None and self.cipher.decrypt(row.access_token) == token:
                    row.expires_at = self.clock()
