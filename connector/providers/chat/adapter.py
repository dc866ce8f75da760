"""Post a message to an incoming webhook (``RECOVERY_CHAT_WEBHOOK_URL``).

Slack and Teams incoming webhooks both accept ``{"text": …}``, escaped for the one the
URL names (``escape.py``: what a respondent wrote never becomes a mention or a link). The URL is a
secret (anyone holding it can post), so it never appears in an error.
"""
import logging
from collections.abc import Mapping
from typing import Any

import requests

from connector.ports.errors import PermanentError, RetryableError, parse_retry_after
from connector.providers.chat.escape import flavour, for_chat

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


class ChatAlerts:
    def __init__(self, url: str, session: requests.Session | None = None):
        self.url = url
        self.session = session or requests.Session()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ChatAlerts | None":
        url = config.get("CHAT_WEBHOOK_URL")
        return cls(url) if url else None

    def post(self, text: str) -> None:
        body = {"text": for_chat(text, flavour(self.url))}
        try:
            response = self.session.post(self.url, json=body, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise RetryableError(f"chat webhook unreachable: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"chat webhook answered {response.status_code}",
                                 retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if response.status_code >= 400:
            raise PermanentError(f"chat webhook answered {response.status_code}")
        log.info("chat alert posted status=%s", response.status_code)
