"""Post a message to an incoming webhook (``RECOVERY_CHAT_WEBHOOK_URL``, or a tenant's own).

Slack and Teams incoming webhooks both accept ``{"text": …}``, escaped for the one the
URL names (``escape.py``: what a respondent wrote never becomes a mention or a link). The URL is a
secret (anyone holding it can post), so it never appears in an error.

A tenant chooses the URL, so the post goes only where ``ChatPolicy`` allows (``guard``):
HTTPS, public addresses checked after DNS, the allow-list when one is set; redirects are not
followed (a 307 would re-send the case to wherever it points), and every way a post can fail to
arrive reads the same in the job's error, so the error is no probe of what answers where.
"""
import logging
from collections.abc import Mapping
from typing import Any

import requests

from connector.ports.errors import PermanentError, RetryableError, parse_retry_after
from connector.providers.chat.escape import flavour, for_chat
from connector.providers.chat.guard import BlockedDestination, ChatPolicy, GuardedAdapter

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
UNREACHABLE = "chat webhook unreachable"


def guarded_session(policy: ChatPolicy) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would resolve the name itself
    adapter = GuardedAdapter(policy)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class ChatAlerts:
    def __init__(self, url: str, session: requests.Session | None = None, policy: ChatPolicy | None = None):
        self.url = url
        self.policy = policy or ChatPolicy()
        self.session = session or guarded_session(self.policy)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ChatAlerts | None":
        url = config.get("CHAT_WEBHOOK_URL")
        return cls(url, policy=ChatPolicy.from_config(config)) if url else None

    def post(self, text: str) -> None:
        self.policy.check_url(self.url)
        try:
            response = self.session.post(self.url, json={"text": for_chat(text, flavour(self.url))},
                                         timeout=TIMEOUT_SECONDS, allow_redirects=False)
        except BlockedDestination:
            log.warning("chat alert refused: the webhook's address is not allowed")
            raise
        except requests.RequestException:
            raise RetryableError(UNREACHABLE) from None
        if response.is_redirect or 300 <= response.status_code < 400:
            raise PermanentError("chat webhook answered with a redirect (not followed)")
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"chat webhook answered {response.status_code}",
                                 retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if response.status_code >= 400:
            raise PermanentError(f"chat webhook answered {response.status_code}")
        log.info("chat alert posted status=%s", response.status_code)
