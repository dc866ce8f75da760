"""How the Zendesk stand-in answers reads: records with their API ``url``, Zendesk's two
pagination styles, side-loaded users, and the small search language the connector uses.

Apart from the routes (``zendesk``) so that module stays a readable list of endpoints.
"""
import re
import shlex
from urllib.parse import urlencode

from flask import request
from werkzeug.exceptions import BadRequest

from connector.sandbox.zendesk_state import ZendeskStandinState


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None


def as_answered(kind: str | None, record: dict) -> dict:
    """A stored record as answered, with its API ``url`` (comments have none)."""
    if kind is None:
        return dict(record)
    return dict(record, url=f"{request.url_root}api/v2/{kind}/{record['id']}.json")


def paged(key: str, kind: str | None, items: list[dict]) -> dict:
    """Cursor pagination when ``page[size]`` is sent (zenpy does), offset pagination otherwise."""
    items = sorted(items, key=lambda i: i["id"])
    args = {k: v for k, v in request.args.items() if k not in ("page[after]", "page")}
    if "page[size]" in request.args:
        size = max(1, min(_int_arg("page[size]", 100), 100))
        if "page[after]" in request.args:
            after = _int_arg("page[after]", 0)
            items = [i for i in items if i["id"] > after]
        page, more = items[:size], len(items) > size
        cursor = str(page[-1]["id"]) if page else None
        nxt = f"{request.base_url}?{urlencode({**args, 'page[after]': cursor})}" if more else None
        return {key: [as_answered(kind, i) for i in page],
                "meta": {"has_more": more, "after_cursor": cursor,
                         "before_cursor": str(page[0]["id"]) if page else None},
                "links": {"next": nxt, "prev": None}}
    per_page = max(1, min(_int_arg("per_page", 100), 100))
    number = max(1, _int_arg("page", 1))
    chunk = items[(number - 1) * per_page:number * per_page]
    link = lambda n: f"{request.base_url}?{urlencode({**args, 'page': n})}"  # noqa: E731
    return {key: [as_answered(kind, i) for i in chunk],
            "next_page": link(number + 1) if number * per_page < len(items) else None,
            "previous_page": link(number - 1) if number > 1 else None, "count": len(items)}


def side_load_users(state: ZendeskStandinState, body: dict, tickets: list[dict]) -> dict:
    if "users" in request.args.get("include", "").split(","):
        keys = ("requester_id", "submitter_id", "assignee_id")
        ids = {t[k] for t in tickets for k in keys if t[k]}
        body["users"] = [as_answered("users", state.users[i]) for i in sorted(ids)]
    return body


def search_records(state: ZendeskStandinState, query: str) -> list[dict]:
    """``type:ticket external_id:X``, ``type:user email:X``, ``requester:``, ``tags:``, words."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        raise BadRequest("unbalanced quotes in query") from None
    kind, terms = "ticket", []
    for token in tokens:
        bound = re.fullmatch(r"(created|updated)([<>])(\S+)", token)
        if bound:  # created>2026-08-24: Zendesk compares dates at day precision
            terms.append((f"{bound.group(1)}_at{bound.group(2)}", bound.group(3)[:10]))
            continue
        key, sep, value = token.partition(":")
        if sep and key == "type":
            kind = value
        else:
            terms.append((key, value.lower()) if sep else (None, token.lower()))

    def matches(record: dict, key: str | None, value: str) -> bool:
        if key is None:
            return any(value in str(record.get(f) or "").lower()
                       for f in ("subject", "description", "name", "email"))
        if key == "requester":
            user = state.users.get(record.get("requester_id")) or {}
            return value in (str(user.get("email", "")).lower(), str(user.get("id")))
        if key.endswith(("_at>", "_at<")):
            day = str(record.get(key[:-1]) or "")[:10]
            return day > value if key.endswith(">") else day < value
        if key in ("tags", "tag"):
            return value in record.get("tags", [])
        if key in ("external_id", "email", "status", "priority", "name"):
            return str(record.get(key) or "").lower() == value
        return False

    pool = {"ticket": state.tickets, "user": state.users}.get(kind, {})
    found = [r for r in pool.values() if all(matches(r, k, v) for k, v in terms)]
    found.sort(key=lambda r: r["id"])
    return [dict(as_answered(f"{kind}s", r), result_type=kind) for r in found]
