"""Who called a stand-in account: each answer with the caller's credential and install.

Lets a multi-tenant test prove that traffic for one tenant never reached another
tenant's account: ``account.callers.grants()`` must hold that tenant's installs only.
"""
import threading
from dataclasses import dataclass

from flask import request


@dataclass(frozen=True)
class Caller:
    """One call an account answered and who made it."""

    method: str
    path: str
    status: int
    auth: str               # "oauth", "api_token" or "none"
    credential: str | None  # the bearer token, or the basic-auth user name
    grant: str | None       # the install an OAuth token belongs to, if issued by this account


class CallerLog:
    def __init__(self):
        self._calls: list[Caller] = []
        self._lock = threading.Lock()

    def add(self, call: Caller) -> None:
        with self._lock:
            self._calls.append(call)

    def all(self) -> list[Caller]:
        with self._lock:
            return list(self._calls)

    def credentials(self) -> set[str]:
        return {c.credential for c in self.all() if c.credential}

    def grants(self) -> set[str]:
        return {c.grant for c in self.all() if c.grant}

    def count(self, *, credential: str | None = None, grant: str | None = None, status: int | None = None) -> int:
        return sum(1 for c in self.all() if (credential is None or c.credential == credential)
                   and (grant is None or c.grant == grant) and (status is None or c.status == status))


def caller_of(store, status: int) -> Caller:
    """The caller of the current request, from its Authorization header."""
    auth = request.authorization
    if auth is not None and auth.type == "bearer":
        kind, credential = "oauth", auth.token
    elif auth is not None and auth.type == "basic":
        kind, credential = "api_token", auth.username
    else:
        kind, credential = "none", None
    grant = store.grants.get(credential) if kind == "oauth" else None
    return Caller(request.method, request.script_root + request.path, status, kind, credential, grant)


def record_callers(app, log: CallerLog, store) -> None:
    """Log every answer of ``app`` (refusals included) with its caller; ``store`` names installs."""

    @app.after_request
    def _record(response):
        log.add(caller_of(store, response.status_code))
        return response
