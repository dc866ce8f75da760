"""A plain-text alert made inert for the chat that renders it.

Slack reads ``<…>`` as a link or a mention (``<!channel>``, ``<http://x|Reset your
password>``) and asks for exactly ``&``, ``<`` and ``>`` to be escaped as
``&amp;`` ``&lt;`` ``&gt;`` (api.slack.com, "Formatting text for app surfaces"). Teams
renders Markdown and a subset of HTML in ``text``: the same entities, and a backslash
before each Markdown character, so ``[text](url)`` stays text. A line's leading ``> ``
(the quoted comment, see ``domain.text.quoted``) is the one mark kept.
"""
import re
from urllib.parse import urlsplit

from connector.domain.text import QUOTE

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN = re.compile(r"([\\`*_\[\]~])")  # links and emphasis: without [ ] no link can form
# Teams' incoming webhooks (connectors, then Workflows): the hosts Microsoft gives out.
_TEAMS_HOSTS = (".webhook.office.com", "outlook.office.com", ".logic.azure.com", ".powerautomate.com",
                ".powerplatform.com")


def flavour(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return "teams" if any(host == h.lstrip(".") or host.endswith(h) for h in _TEAMS_HOSTS) else "slack"


def _inert(text: str, teams: bool) -> str:
    text = "".join(_ENTITIES.get(c, c) for c in text)
    return _MARKDOWN.sub(r"\\\1", text) if teams else text


def for_chat(text: str, chat_flavour: str) -> str:
    teams = chat_flavour == "teams"
    lines = []
    for line in text.split("\n"):
        mark = QUOTE if line.startswith(QUOTE) else (line if line == QUOTE.rstrip() else "")
        lines.append(mark + _inert(line[len(mark):], teams))
    # Teams joins single newlines into one paragraph.
    return ("\n\n" if teams else "\n").join(lines)
