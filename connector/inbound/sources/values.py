"""Small, total helpers for reading untrusted vendor JSON.

Every function accepts any JSON value and never raises: a value it cannot
read is returned unchanged (or left out), so the generic schema names the
field instead of the connector failing with a 5xx.
"""
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

_INT = re.compile(r"^\s*[+-]?\d{1,6}\s*$")
_NUMBER = re.compile(r"^\s*[+-]?\d{1,15}(\.\d{1,6})?\s*$")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def dig(value, *path):
    """``value[path0][path1]…`` or None when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def first(mapping, names: Iterable[str]):
    """The first non-empty value of ``mapping`` under one of ``names``."""
    if not isinstance(mapping, Mapping):
        return None
    for name in names:
        value = mapping.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def text(value):
    """A string value stripped, None when empty; other types unchanged (validation names them)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def as_int(value):
    """``"3"``/``3.0`` -> 3; anything else unchanged (booleans stay booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
        return int(value)
    if isinstance(value, str) and _INT.match(value):
        return int(value)
    return value


def as_number(value):
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return value


def as_bool(value):
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def iso_time(value):
    """Unix seconds/milliseconds or a lenient ISO 8601 string -> ISO 8601 with offset.

    Values it cannot read are returned unchanged so the schema rejects them.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
        except (OverflowError, OSError, ValueError):
            return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is None:
            return value
        return parsed.isoformat()
    return value


def pruned(data: dict) -> dict:
    """Drop keys whose value is None, so required fields show as missing."""
    return {key: value for key, value in data.items() if value is not None}


def customer(lookup, fields_map) -> dict:
    """The generic ``customer`` block, read with ``lookup(names)`` for each field."""
    return pruned({
        "email": text(lookup(fields_map["email"])),
        "name": text(lookup(fields_map["name"])),
        "company": text(lookup(fields_map["company"])),
        "lifetime_value": as_number(lookup(fields_map["lifetime_value"])),
        "vip": as_bool(lookup(fields_map["vip"])),
    })


def context(lookup, fields_map) -> dict:
    return pruned({
        "zendesk_ticket_id": as_int(lookup(fields_map["zendesk_ticket_id"])),
        "agent_email": text(lookup(fields_map["agent_email"])),
    })


def label(value) -> str:
    """A vendor value fit for a log line or an "ignored" reason: strings cut short, else the type."""
    return value[:50] if isinstance(value, str) else type(value).__name__


def prefixed(vendor: str, value) -> str | None:
    """``typeform:<token>``: ids of different tools cannot collide in one store."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, (str, int)):
        return f"{vendor}:{value}"
    return None
