"""The hubspot-api-client SDK, configured once, and its errors turned into ours.

* Host: the SDK's ``Client`` copies every extra keyword onto each generated
  API package's ``Configuration``; ``host`` is a property setter there that
  replaces ``https://api.hubapi.com`` (and drops the server index), so
  ``HubSpot(host=...)`` moves every API at once, plain ``http://`` included.
* Retries: ``retry`` becomes urllib3's ``retries``; the default would retry
  connection errors and honour ``Retry-After`` by sleeping inside the call.
  Our job runner owns retries, so the SDK gets ``Retry(0)``.
* Timeout: the SDK has no default timeout; every call passes ``_request_timeout``.
"""
import json
import logging
import re

import urllib3
from hubspot import HubSpot
from urllib3.util.retry import Retry

from connector.ports.errors import PermanentError, RetryableError, SyncError, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
RETRYABLE_STATUSES = {0, 408, 423, 429}   # 0: SDK-wrapped SSL error; 423: HubSpot record lock
_EMAIL_RE = re.compile(r"[^\s\"'<>@,;:]+@[^\s\"'<>@,;:]+")



def _scrub(text: str, sensitive) -> str:
    for secret in sensitive:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _EMAIL_RE.sub("[email]", text)[:300]


def translate(exc: Exception, what: str, sensitive=()) -> SyncError:
    """Our typed error for anything the SDK raised during ``what``.

    The message keeps the status, HubSpot's category and correlation id, and
    HubSpot's own message scrubbed of e-mail addresses and the given
    ``sensitive`` strings (values we sent, the token): never customer data.
    The HTTP status is kept on the error as ``status`` (409 means "exists").
    """
    if isinstance(exc, SyncError):
        return exc
    if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
        return RetryableError(f"HubSpot {what}: connection failed ({type(exc).__name__})")
    status = getattr(exc, "status", None)
    if status is None or not hasattr(exc, "body"):   # ApiValueError/ApiTypeError: a bug on our side
        return PermanentError(f"HubSpot {what}: request rejected by the SDK ({type(exc).__name__})")
    try:
        payload = json.loads(exc.body or b"{}")
    except (TypeError, ValueError):
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    detail = " ".join(str(payload.get(k)) for k in ("category", "message") if payload.get(k))
    message = f"HubSpot {what}: HTTP {status} {_scrub(detail, sensitive)}".rstrip()
    if payload.get("correlationId"):
        message += f" (correlationId {payload['correlationId']})"
    headers = exc.headers or {}
    if status in RETRYABLE_STATUSES or status >= 500:
        return RetryableError(message, retry_after=parse_retry_after(headers.get("Retry-After")), status=status)
    return PermanentError(message, status=status)


class HubSpotClient:
    """The SDK's API objects, built once (each SDK property access builds a new pool)."""

    def __init__(self, access_token: str | None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, token_source=None):
        """``token_source`` (OAuth installs): a TokenProvider asked for the current token before each call."""
        self.token_source = token_source
        if token_source is None and not access_token:
            raise PermanentError("HubSpot access token is not configured")
        access_token = access_token or "per-call"
        options = {"access_token": access_token,
                   "retry": Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False)}
        if base_url:
            options["host"] = base_url.rstrip("/")
        self.sdk = HubSpot(**options)
        self.timeout = timeout
        self._token = access_token
        self.throttle = None  # set by the runtime: the account's shared rate limiter
        crm = self.sdk.crm
        self.property_groups = crm.properties.groups_api
        self.properties = crm.properties.core_api
        self.properties_batch = crm.properties.batch_api
        self.contacts = crm.contacts.basic_api
        self.companies = crm.companies.basic_api
        self.contacts_batch = crm.contacts.batch_api
        self.companies_batch = crm.companies.batch_api
        self.companies_search = crm.companies.search_api
        self.associations_batch = crm.associations.v4.batch_api  # contact -> company (v4: with labels)
        self.notes = crm.objects.notes.basic_api
        self.notes_batch = crm.objects.notes.batch_api
        self.notes_search = crm.objects.notes.search_api
        self.tasks = crm.objects.tasks.basic_api
        self.tasks_batch = crm.objects.tasks.batch_api
        self.tasks_search = crm.objects.tasks.search_api
        self.owners = crm.owners.owners_api

    def _use_token(self, token: str) -> None:
        """Point every SDK API object at ``token`` (each holds its own Configuration)."""
        if token == self._token:
            return
        for api in list(vars(self).values()):
            if hasattr(api, "api_client"):
                api.api_client.configuration.access_token = token
        self._token = token

    @classmethod
    def from_config(cls, config) -> "HubSpotClient":
        """``HUBSPOT_ACCESS_TOKEN``, optional ``HUBSPOT_BASE_URL`` and ``HUBSPOT_TIMEOUT``."""
        return cls(config.get("HUBSPOT_ACCESS_TOKEN"), config.get("HUBSPOT_BASE_URL") or None,
                   float(config.get("HUBSPOT_TIMEOUT") or DEFAULT_TIMEOUT))

    def call(self, what: str, method, *args, sensitive=(), **kwargs):
        """Run one SDK call with our timeout; raise RetryableError/PermanentError on failure."""
        if self.throttle is not None:
            self.throttle()
        if self.token_source is not None:
            self._use_token(self.token_source())
        token = self._token
        try:
            return method(*args, _request_timeout=self.timeout, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every SDK failure must become a typed error
            error = translate(exc, what, (*sensitive, token))
            if self.token_source is not None and error.status == 401:
                self.token_source.rejected(token)  # expired or revoked early: refresh, then retry the job
                error = RetryableError(f"HubSpot {what}: HTTP 401, the OAuth token was refused", status=401)
            log.warning("hubspot %s failed: %s status=%s retryable=%s", what, type(exc).__name__,
                        error.status, error.retryable)
            raise error from None
