"""Mappings are data: JSON files under ``mappings/``, validated at start-up.

Each file has a marshmallow schema next to the code that applies it; this
module only finds, reads and validates, so a typo in an admin's mapping stops
the app at start with the field named, instead of failing a sync at 3 a.m.
"""
import difflib
import json
from pathlib import Path

from marshmallow import Schema, ValidationError

from connector.infra.resources import data_folder

DEFAULT_MAPPINGS_DIR = data_folder("mappings")


class MappingError(Exception):
    """A mapping file is missing, not JSON, or fails its schema."""

    def __init__(self, path: Path, messages):
        self.path = path
        self.messages = messages
        super().__init__(f"{path}: {messages}")

    def one_line(self) -> str:
        """``path: field.sub: message; other: message``: what a person reads at start-up."""
        return f"{self.path}: " + "; ".join(f"{field}: {text}" if field else text
                                            for field, text in flatten_messages(self.messages))


def flatten_messages(messages, prefix: str = ""):
    """marshmallow's nested ``{field: [messages] | {…}}`` as (dotted field, message) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from flatten_messages(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from flatten_messages(value, prefix)
    else:
        yield prefix, str(messages)


def load(name: str, schema: Schema, directory: Path | str | None = None):
    """Read ``<directory>/<name>.json`` and return what ``schema`` loads from it."""
    path = Path(directory or DEFAULT_MAPPINGS_DIR) / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        twin = _close_name(path.name, [p.name for p in path.parent.glob("*.json")])
        raise MappingError(path, f"file not found{f' (is {twin} a misspelling?)' if twin else ''}") from None
    except json.JSONDecodeError as exc:
        raise MappingError(path, f"not valid JSON: {exc}") from None
    try:
        return schema.load(raw)
    except ValidationError as exc:
        raise MappingError(path, exc.messages) from None


def _close_name(name: str, candidates: list[str]) -> str | None:
    found = difflib.get_close_matches(name, [c for c in candidates if c != name], n=1, cutoff=0.8)
    return found[0] if found else None


def check_folder(directory: Path | str | None) -> None:
    """An admin's (existing) mappings folder holds no misspelled file (one the connector would ignore).

    A file named like a mapping file but not one (``rule.json`` beside or instead of ``rules.json``)
    would silently leave the defaults in force; it stops start-up instead, naming both names.
    """
    if directory is None:
        return
    folder = Path(directory)
    for sub in ("", "surveys"):
        known = sorted(p.name for p in (DEFAULT_MAPPINGS_DIR / sub).glob("*.json"))
        for path in sorted((folder / sub).glob("*.json")):
            twin = _close_name(path.name, known) if path.name not in known else None
            if twin:
                raise MappingError(path, f"not a mapping file the connector reads: rename it {twin}")
