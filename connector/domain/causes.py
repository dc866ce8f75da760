"""Root causes: why a detractor is unhappy, from a taxonomy the admin owns (``mappings/causes.json``).

Each cause has a key (contract: it becomes the Zendesk tag ``cause_<key>``, the value of the
HubSpot property ``recovery_cause`` and the tag ``systemic_<key>``), a label per language, keyword
lists per language and the team that owns it (its chat webhook or e-mail). The connector only
*suggests* a cause from the comment; the agent confirms or changes it.

The suggestion is explainable, like the profile: the cause whose keywords match most often wins
(ties: the one named first in the comment), and the words that matched are returned as the
customer wrote them, so the agent sees why. Every language's lists are checked whatever the
answer's locale (real data mixes languages); matching is accent- and case-insensitive (see
:mod:`connector.domain.keywords`). Pure: no I/O.

The same file says when causes become a systemic issue: ``min_cases`` cases with one cause
within ``window_days`` days.
"""
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain import keywords

LANGUAGES = ("en", "fr")
# Lower case, digits and "_": the key is a Zendesk tag and a HubSpot option value as it is.
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
_KEY = validate.Regexp(KEY_PATTERN, error="a cause key is 1-32 of a-z, 0-9 and _, starting with a letter")


@dataclass(frozen=True)
class Team:
    name: str
    chat_webhook_url: str | None  # the team's own incoming webhook; None: the deployment's chat
    email: str | None


@dataclass(frozen=True)
class Cause:
    key: str
    labels: Mapping[str, str]  # language -> label
    patterns: tuple[keywords.Pattern, ...]
    team: Team

    def label(self, locale: str | None) -> str:
        language = (locale or "en")[:2].lower()
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True)
class SystemicRule:
    min_cases: int    # this many cases with one cause ...
    window_days: int  # ... within this many days make a systemic issue


@dataclass(frozen=True)
class CauseRules:
    causes: tuple[Cause, ...]  # in the order the agent is offered them
    systemic: SystemicRule
    resolved_message: Mapping[str, str]  # language -> "we fixed what you told us" draft ({cause})
    # Every cause's patterns, looked up by the words of a comment (``keywords.Index``).
    index: keywords.Index[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", keywords.Index(
            (cause.key, pattern) for cause in self.causes for pattern in cause.patterns))

    def get(self, key: str | None) -> Cause | None:
        return next((cause for cause in self.causes if cause.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(cause.key for cause in self.causes)


@dataclass(frozen=True)
class Suggestion:
    key: str
    words: tuple[str, ...]  # as the customer wrote them, in order of appearance, each once


def _check_pattern(value: str) -> None:
    try:
        keywords.compile_pattern(value)
    except ValueError as exc:
        raise ValidationError(f"bad pattern {value!r}: {exc}") from None


def _per_language(values: fields.Field[Any]) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)), values=values, required=True)


class _TeamSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    chat_webhook_url = fields.Url(load_default=None, schemes={"https"}, require_tld=True)
    email = fields.Email(load_default=None)
    # The deployment's chat (RECOVERY_CHAT_WEBHOOK_URL) is the team's when it names neither.
    use_default_chat = fields.Boolean(load_default=False)

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: object) -> None:
        if not (data.get("chat_webhook_url") or data.get("email") or data.get("use_default_chat")):
            raise ValidationError("a team needs chat_webhook_url, email or use_default_chat", "name")


class _CauseSchema(Schema):
    key = fields.String(required=True, validate=_KEY)
    labels = _per_language(fields.String(validate=validate.Length(min=1, max=80)))
    keywords = _per_language(fields.List(fields.String(validate=[validate.Length(min=1, max=100), _check_pattern])))
    team = fields.Nested(_TeamSchema, required=True)

    @validates_schema
    def _english_label(self, data: dict[str, Any], **kwargs: object) -> None:
        if "en" not in (data.get("labels") or {}):
            raise ValidationError("an English label is required (the fallback)", "labels")


class _SystemicSchema(Schema):
    min_cases = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=2, max=1000))
    window_days = fields.Integer(strict=True, load_default=7, validate=validate.Range(min=1, max=90))


class CauseRulesSchema(Schema):
    causes = fields.List(fields.Nested(_CauseSchema), required=True, validate=validate.Length(min=1, max=100))
    systemic = fields.Nested(_SystemicSchema, load_default=lambda: {"min_cases": 3, "window_days": 7})
    resolved_message = _per_language(fields.String(validate=validate.Length(min=1, max=2000)))

    @validates_schema
    def _unique_keys(self, data: dict[str, Any], **kwargs: object) -> None:
        seen: set[str] = set()
        for cause in data.get("causes") or []:
            if cause["key"] in seen:
                raise ValidationError(f"cause key {cause['key']!r} appears twice", "causes")
            seen.add(cause["key"])

    @validates_schema
    def _message(self, data: dict[str, Any], **kwargs: object) -> None:
        messages = data.get("resolved_message") or {}
        if "en" not in messages:
            raise ValidationError("an English message is required (the fallback)", "resolved_message")
        for language, text in messages.items():
            try:
                text.format(cause="x", customer="x", owner="x")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValidationError(f"{language}: unknown placeholder {exc}; allowed: cause, customer, owner",
                                      "resolved_message") from None

    @post_load
    def make(self, data: dict[str, Any], **kwargs: object) -> CauseRules:
        causes = []
        for c in data["causes"]:
            texts = [text for words in c["keywords"].values() for text in words]
            causes.append(Cause(key=c["key"], labels=dict(c["labels"]), patterns=tuple(map(keywords.compile_pattern, texts)),
                                team=Team(c["team"]["name"], c["team"]["chat_webhook_url"], c["team"]["email"])))
        rule = data["systemic"]
        return CauseRules(tuple(causes), SystemicRule(rule["min_cases"], rule["window_days"]),
                          dict(data["resolved_message"]))


def load_cause_rules(directory: Path | str | None = None) -> CauseRules:
    return cast(CauseRules, mappings.load("causes", CauseRulesSchema(), directory))


def causes_beside(directory: Path | str | None) -> CauseRules:
    """The taxonomy next to another mapping file (the vendors' option lists), or the bundled one
    when that folder holds none: start-up (``policies``) already requires it in a real folder,
    so only a test loading one vendor file alone gets the default."""
    has_own = directory is not None and (Path(directory) / "causes.json").exists()
    return load_cause_rules(directory if has_own else None)


def _normalized_offsets(text: str) -> list[int] | None:
    """Where each character of ``text`` starts in ``keywords.normalize(text)`` (plus the end), or
    None when normalizing is not character by character (then spans cannot be mapped back)."""
    if text.isascii():  # every character normalizes to one
        return list(range(len(text) + 1))
    offsets, position = [], 0
    for char in text:
        offsets.append(position)
        position += 1 if char.isascii() else len(keywords.normalize(char))  # ASCII: one character each
    offsets.append(position)
    return offsets if position == len(keywords.normalize(text)) else None


def _as_written(text: str, span: tuple[int, int], offsets: list[int] | None) -> str | None:
    if offsets is None:
        return None
    start = next((i for i, at in enumerate(offsets) if at == span[0]), None)
    end = next((i for i, at in enumerate(offsets) if at >= span[1]), None)
    if start is None or end is None:
        return None
    # A trailing combining accent belongs to the last letter ("é" typed as e + U+0301).
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return text[start:end]


def suggest(comment: str | None, rules: CauseRules) -> Suggestion | None:
    """The cause the comment is most about, with the words that matched; None when no keyword does."""
    if not comment:
        return None
    hits = keywords.find(comment, rules.index)
    if not hits:
        return None
    counts: dict[str, int] = {}
    for hit in hits:  # hits are in order of position: the first key counted is the first named
        counts[hit.tag] = counts.get(hit.tag, 0) + 1
    best = max(counts, key=lambda key: counts[key])  # max keeps the first of equal counts
    offsets = _normalized_offsets(comment)
    words: list[str] = []
    for hit in hits:
        if hit.tag != best:
            continue
        parts = [_as_written(comment, span, offsets) for span in hit.spans]
        written = [part for part in parts if part]
        word = " … ".join(written) if len(written) == len(parts) else hit.pattern.text
        if word.casefold() not in {w.casefold() for w in words}:
            words.append(word)
    return Suggestion(best, tuple(words))


class CauseChoiceSchema(Schema):
    """What an agent sends to confirm or change a case's cause: ``{"cause": <taxonomy key>}``."""

    cause = fields.String(required=True, validate=validate.Length(max=32))

    def __init__(self, rules: CauseRules, **kwargs: Any):
        super().__init__(**kwargs)
        self.fields["cause"].validators = [validate.Length(max=32),
                                           validate.OneOf(rules.keys, error="must be one of: {choices}")]
