"""A zenpy client with the connector's transport rules, and error translation.

Three things zenpy 2.0.57 does not offer are done in one requests transport
adapter (``ZendeskTransport``) mounted on the zenpy session:

* Base URL override. zenpy always builds ``https://{subdomain}.zendesk.com/api/v2/…``
  (only the process-wide ``ZENPY_FORCE_NETLOC``/``ZENPY_FORCE_SCHEME`` variables
  change that). The adapter sends such a request to ``ZENDESK_BASE_URL`` instead
  and hands zenpy back a response still carrying the URL zenpy built, because
  zenpy picks its response parser by finding ``{subdomain}.zendesk.com`` in it.
* No sleeping on 429. zenpy's ``_call_api`` sleeps ``Retry-After`` seconds and
  retries, blocking a worker. The adapter raises ``RetryableError(retry_after=…)``
  before zenpy sees the 429; the job runner reschedules.
* Per-call headers (``Idempotency-Key``): zenpy's ``create`` takes none, so
  ``request_headers()`` sets them for the calls made inside it (a ContextVar,
  so threads sharing one client do not see each other's headers).

``zendesk_errors()`` turns what zenpy/requests raise into ``RetryableError`` or
``PermanentError``. Messages carry the operation, status, Zendesk error code
and field names only: never bodies (they echo emails and comments), URLs
(search queries hold emails) or credentials.
"""
import contextlib
import contextvars
import logging
import re
from collections.abc import Mapping
from types import MappingProxyType

import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError
from requests.utils import should_bypass_proxies
from zenpy import Zenpy
from zenpy.lib.exception import APIException, ZenpyException

from connector.ports.errors import PermanentError, RetryableError, SyncError, parse_retry_after
from connector.providers.zendesk.threads import keep_last_sent_per_thread

TIMEOUT_SECONDS = 10.0
USER_AGENT = "recovery-connector (zenpy)"
_RETRYABLE_STATUS = {408, 409, 429}
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_ '.-]{0,59}$")
_extra_headers: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "zendesk_headers", default=MappingProxyType({}))

# zenpy logs whole request and response bodies at DEBUG (customer email, comment):
# keep its records out of the connector's logs whatever the root level is.
logging.getLogger("zenpy").setLevel(logging.WARNING)


class ZendeskPermanentError(PermanentError):
    """``status``, Zendesk ``code`` (e.g. RecordInvalid) and the rejected ``fields``."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 fields: tuple[str, ...] = ()):
        super().__init__(message, status=status)
        self.code, self.fields = code, fields


class ZendeskRetryableError(RetryableError):
    def __init__(self, message: str, *, retry_after: float | None = None,
                 status: int | None = None, code: str | None = None):
        super().__init__(message, retry_after=retry_after, status=status)
        self.code = code



@contextlib.contextmanager
def request_headers(headers: dict):
    """Add ``headers`` to every Zendesk request made inside the block."""
    token = _extra_headers.set({**_extra_headers.get(), **headers})
    try:
        yield
    finally:
        _extra_headers.reset(token)


class ZendeskTransport(HTTPAdapter):
    def __init__(self, origin: str, base_url: str | None = None):
        super().__init__(max_retries=0)  # the job runner retries, with backoff
        self.throttle = None  # set by the runtime: the account's shared rate limiter
        self.token_source = None  # OAuth installs: a TokenProvider (fresh token per request)
        self.origin = origin.rstrip("/")
        self.base_url = base_url.rstrip("/") if base_url else None

    def send(self, request, **kwargs):
        if self.throttle is not None:
            self.throttle()
        built = request
        extra = _extra_headers.get()
        token = self.token_source() if self.token_source is not None else None
        if token is not None:
            extra = {**extra, "Authorization": f"Bearer {token}"}
        redirect = self.base_url and request.url.startswith(self.origin + "/")
        if extra or redirect:
            request = request.copy()
            request.headers.update(extra)
            if redirect:
                request.url = self.base_url + request.url[len(self.origin):]
                if kwargs.get("proxies") and should_bypass_proxies(request.url, None):
                    kwargs["proxies"] = {}
        response = super().send(request, **kwargs)
        if response.status_code == 401 and token is not None:
            response.close()
            self.token_source.rejected(token)  # expired or revoked early: refresh, then retry the job
            raise ZendeskRetryableError("Zendesk refused the OAuth token (HTTP 401)", status=401)
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            response.close()
            raise ZendeskRetryableError(
                f"Zendesk rate limit (HTTP 429), retry after {retry_after}s",
                retry_after=retry_after, status=429)
        response.request, response.url = built, built.url
        return response


def build_client(config, token_source=None) -> tuple[Zenpy, str]:
    """A zenpy client for ``config`` and the web base URL of the account.

    With ``token_source`` (an OAuth install) every request carries the source's current
    bearer token instead of the API-token basic auth of the environment configuration.
    """
    subdomain = config.get("ZENDESK_SUBDOMAIN")
    base_url = config.get("ZENDESK_BASE_URL")
    email_, token = config.get("ZENDESK_EMAIL"), config.get("ZENDESK_API_TOKEN")
    if token_source is not None:
        email_, token = None, None
    needed = (("ZENDESK_EMAIL", email_), ("ZENDESK_API_TOKEN", token)) if token_source is None else ()
    missing = [k for k, v in (*needed, ("ZENDESK_SUBDOMAIN", subdomain or base_url)) if not v]
    if missing:
        raise PermanentError(f"Zendesk is not configured: missing {', '.join(missing)}")
    subdomain = subdomain or "local"  # zenpy insists on one; unused when base_url is set
    origin = f"https://{subdomain}.zendesk.com"
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    transport = ZendeskTransport(origin, base_url)
    transport.token_source = token_source
    session.mount("https://", transport)
    session.mount("http://", transport)
    credentials = {"email": email_, "token": token} if token_source is None else {"oauth_token": "per-request"}
    keep_last_sent_per_thread()  # one client serves every worker thread: see ``threads``
    client = Zenpy(subdomain=subdomain, session=session, timeout=TIMEOUT_SECONDS, disable_cache=True,
                   **credentials)
    return client, (base_url or origin).rstrip("/")


def safe_label(value: object) -> str | None:
    """``value`` if it is a short code or field name (safe to log), else None: never a body."""
    return value if isinstance(value, str) and _LABEL.match(value) else None


def error_from_response(operation: str, response) -> SyncError:
    status = response.status_code
    code, fields = None, []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = safe_label(body.get("error"))
        details = body.get("details")
        if isinstance(details, dict):
            fields = sorted(f for f in map(safe_label, details) if f)
    message = f"Zendesk {operation} failed: HTTP {status}"
    message += f" {code}" if code else ""
    message += f" (fields: {', '.join(fields)})" if fields else ""
    if status >= 500 or status in _RETRYABLE_STATUS:
        return ZendeskRetryableError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")),
            status=status, code=code)
    return ZendeskPermanentError(message, status=status, code=code, fields=tuple(fields))


def _failed(operation: str, exc: Exception) -> str:
    return f"Zendesk {operation} failed: {type(exc).__name__}"  # str(exc) may hold URLs, bodies


@contextlib.contextmanager
def zendesk_errors(operation: str):
    """Translate zenpy/requests failures inside the block into SyncError."""
    try:
        yield
    except SyncError:
        raise
    except (requests.ConnectionError, requests.Timeout, ChunkedEncodingError) as exc:
        raise ZendeskRetryableError(_failed(operation, exc)) from None
    except (APIException, requests.HTTPError) as exc:
        if exc.response is None:
            raise ZendeskRetryableError(_failed(operation, exc)) from None
        raise error_from_response(operation, exc.response) from None
    except ZenpyException as exc:  # e.g. a response zenpy cannot parse (proxy error page)
        raise ZendeskRetryableError(_failed(operation, exc)) from None
    except requests.RequestException as exc:  # invalid URL, too many redirects, ...
        raise ZendeskPermanentError(_failed(operation, exc)) from None
