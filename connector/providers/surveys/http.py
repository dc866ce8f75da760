"""What a survey tool's answer means for the job: 2xx done, 429/5xx/unreachable later
(``Retry-After`` honoured), any other 4xx never (the same request would be refused again)."""
import requests

from connector.ports.errors import PermanentError, RetryableError, parse_retry_after

TIMEOUT_SECONDS = 15


def post(session: requests.Session, url: str, what: str, **kwargs: object) -> requests.Response:
    return call(session, "POST", url, what, **kwargs)


def call(session: requests.Session, method: str, url: str, what: str, **kwargs: object) -> requests.Response:
    """Send and raise a typed error for any answer but 2xx. ``what`` names the call in errors;
    the URL never does (a webhook URL may be a secret)."""
    try:
        response = session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        raise RetryableError(f"{what} unreachable: {type(exc).__name__}") from None
    status = response.status_code
    if status == 429 or status >= 500:
        raise RetryableError(f"{what} answered {status}", status=status,
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise PermanentError(f"{what} refused the credentials ({status}): check its API key or secret",
                             status=status)
    if status >= 400:
        raise PermanentError(f"{what} refused the request ({status})", status=status)
    return response
