"""What the OAuth stand-ins share: a clock tests move, registered clients and one
account's codes and tokens.

The vendor rules (paths, bodies, whether a refresh rotates the refresh token)
live in ``zendesk_accounts`` and ``hubspot_portals``; a ``TokenStore`` only
keeps the tokens of ONE vendor account, so a token is valid where it was
issued and nowhere else.
"""
import itertools
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markupsafe import escape


class ManualClock:
    """A clock a test moves by hand: ``clock()`` is now, ``clock.advance(s)`` moves it on."""

    def __init__(self, start: float = 1_000_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now


@dataclass(frozen=True)
class OAuthClient:
    """An app registered with a vendor. Empty ``scopes``: any scope the vendor knows."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()

    @classmethod
    def of(cls, value) -> "OAuthClient":
        if isinstance(value, cls):
            return value
        return cls(value["client_id"], value["client_secret"], tuple(value.get("redirect_uris", ())),
                   tuple(value.get("scopes", ())))

    def authenticates(self, client_id, client_secret) -> bool:
        return (secrets.compare_digest(str(client_id or ""), self.client_id)
                and secrets.compare_digest(str(client_secret or ""), self.client_secret))


class Refused(Exception):
    """A grant the store will not honour; ``reason`` is mapped to the vendor's body."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # unknown_code, redirect_mismatch, unknown_refresh, reused_refresh, expired_refresh


@dataclass
class Token:
    value: str
    kind: str               # "access" or "refresh"
    grant: str              # the install ("acme#1"): the same across refreshes
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float | None
    pair: str | None = None  # on a refresh token: the access token issued with it


class TokenStore:
    """Codes and tokens of one vendor account (one Zendesk subdomain, one HubSpot portal).

    Test hooks: ``access_ttl`` / ``refresh_ttl`` (seconds, None = never expires)
    apply to tokens issued after the change; ``revoke_all()`` is an uninstall;
    ``refreshes`` counts refreshes granted, ``refresh_reuse`` refresh tokens
    presented again after a rotation retired them.
    """

    CODE_TTL = 120.0  # Zendesk: an authorization code is valid for 120 seconds

    def __init__(self, account: str, clock=time.monotonic, access_ttl: float | None = 3600.0,
                 refresh_ttl: float | None = None, prefix: str = ""):
        self.account, self.clock, self.prefix = account, clock, prefix
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self.codes: dict[str, tuple] = {}
        self.tokens: dict[str, Token] = {}
        self.retired: dict[str, str] = {}     # token -> "rotated" or "revoked"
        self.grants: dict[str, str] = {}      # every token ever issued here -> its grant
        self.live_access: set[str] = set()    # access tokens not retired (expiry aside)
        self.refreshes = self.refresh_reuse = 0
        self.lock = threading.RLock()
        self._installs = itertools.count(1)

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self.clock() + ttl

    def issue_code(self, client_id: str, redirect_uri: str, scopes) -> str:
        code = self.prefix + secrets.token_urlsafe(18)
        with self.lock:
            self.codes[code] = (client_id, redirect_uri, tuple(scopes), self.clock() + self.CODE_TTL)
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str | None) -> tuple[Token, Token]:
        """The code's first use by its client with its redirect URI; then it is gone."""
        with self.lock:
            entry = self.codes.get(code)
            if entry is None or entry[0] != client_id or entry[3] <= self.clock():
                raise Refused("unknown_code")
            if entry[1] != redirect_uri:
                raise Refused("redirect_mismatch")
            del self.codes[code]
            return self._issue(f"{self.account}#{next(self._installs)}", client_id, entry[2])

    def _issue(self, grant: str, client_id: str, scopes, refresh: Token | None = None):
        access = Token(self.prefix + secrets.token_urlsafe(24), "access", grant, client_id, tuple(scopes),
                       self._expiry(self.access_ttl))
        if refresh is None:
            refresh = Token(self.prefix + secrets.token_urlsafe(24), "refresh", grant, client_id,
                            tuple(scopes), self._expiry(self.refresh_ttl))
        refresh.pair = access.value
        for token in (access, refresh):
            self.tokens[token.value] = token
            self.grants[token.value] = grant
        self.live_access.add(access.value)
        return access, refresh

    def refresh(self, value: str, client_id: str, *, rotate: bool) -> tuple[Token, Token]:
        """A new access token; with ``rotate`` a new refresh token too, the old pair retired."""
        with self.lock:
            if self.retired.get(value) == "rotated":
                self.refresh_reuse += 1
                raise Refused("reused_refresh")
            token = self.tokens.get(value)
            if token is None or token.kind != "refresh" or token.client_id != client_id:
                raise Refused("unknown_refresh")
            if self.is_expired(token):
                raise Refused("expired_refresh")
            self.refreshes += 1
            if not rotate:
                return self._issue(token.grant, client_id, token.scopes, refresh=token)
            self._retire(token.pair, "rotated")
            self._retire(value, "rotated")
            return self._issue(token.grant, client_id, token.scopes)

    def is_expired(self, token: Token) -> bool:
        return token.expires_at is not None and token.expires_at <= self.clock()

    def lookup(self, value: str, kind: str | None = "access") -> tuple[str, Token | None]:
        """("valid"|"expired", token), ("revoked", None) or ("unknown", None) here."""
        with self.lock:
            token = self.tokens.get(value)
            if token is not None and kind in (None, token.kind):
                return ("expired" if self.is_expired(token) else "valid"), token
            return ("revoked" if value in self.retired else "unknown"), None

    def _retire(self, value: str | None, why: str) -> None:
        if value is not None and self.tokens.pop(value, None) is not None:
            self.retired[value] = why
        self.live_access.discard(value)

    def revoke(self, value: str) -> bool:
        with self.lock:
            known = value in self.tokens
            self._retire(value, "revoked")
            return known

    def revoke_grant_of(self, access: str) -> None:
        """Retire an access token and the refresh token issued with it (Zendesk's revoke by id)."""
        with self.lock:
            paired = [v for v, t in self.tokens.items() if t.kind == "refresh" and t.pair == access]
            for value in [access, *paired]:
                self._retire(value, "revoked")

    def revoke_all(self) -> int:
        """Every code and token of the account stops working (an uninstall, an admin's revocation)."""
        with self.lock:
            values = list(self.tokens)
            for value in values:
                self._retire(value, "revoked")
            self.codes.clear()
            return len(values)


def with_query(uri: str, **params) -> str:
    """``uri`` with ``params`` (None ones left out) added to its query string."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def error_page(title: str, message: str, status: int = 400):
    """The page a browser shows when the vendor cannot safely redirect back (RFC 6749 §4.1.2.1)."""
    body = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
    return body, status, {"Content-Type": "text/html; charset=utf-8"}
