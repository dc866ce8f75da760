"""The recognition message: a personal acknowledgement in the customer's language.

``mappings/templates.json`` holds, per language, a greeting (with and without
the first name), the letter's lines and a neutral topic phrase, plus a
keyword -> topic table. Templates are checked at load time: only
``{first_name}`` (greeting), ``{owner_name}`` and ``{topic}`` may appear, and
the letter must name the owner and the topic, so no admin edit can turn it
into the generic auto-reply the spec forbids.

The topic is deliberately simple and explainable: the topic whose keyword
appears earliest in the comment (fr and en keywords alike, as in profiles),
phrased in the letter's language; None when nothing matches.
"""
import re
import string
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain import keywords, text

_LANG = re.compile(r"^[a-z]{2,3}$")
_HONORIFICS = {"m", "mr", "mrs", "ms", "miss", "dr", "mme", "mlle", "madame", "monsieur",
               "mademoiselle", "me", "pr", "prof"}


@dataclass(frozen=True)
class LocaleTemplate:
    greeting: str                 # "Bonjour {first_name},"
    greeting_without_name: str    # "Bonjour,"
    neutral_topic: str            # used when the comment names no known topic
    body: str


@dataclass(frozen=True)
class Topic:
    phrases: Mapping[str, str]    # language -> "votre facturation"
    patterns: tuple[keywords.Pattern, ...]


@dataclass(frozen=True)
class ConfirmationTemplate:
    """The written confirmation of the promises made on the call (``domain/confirmation.py``)."""
    date_format: str              # "%d/%m/%Y": digits only, no month names from the OS locale
    promise_line: str             # "- {what} ({who}, by {by})"
    body: str                     # names {owner_name} and lists {promises}


@dataclass(frozen=True)
class Templates:
    default_locale: str
    locales: Mapping[str, LocaleTemplate]
    topics: tuple[Topic, ...]
    confirmations: Mapping[str, ConfirmationTemplate] = field(default_factory=dict)


def _placeholders(allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()) -> Callable[[str], None]:
    def check(value: str) -> None:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValidationError(f"not a valid template: {exc}") from None
        if names - allowed:
            raise ValidationError(f"unknown placeholder(s) {sorted(names - allowed)}; "
                                  f"allowed: {sorted(allowed)}")
        if required - names:
            missing = ", ".join("{%s}" % name for name in sorted(required - names))
            raise ValidationError(f"must contain {missing}")
    return check


def _pattern(value: str) -> None:
    try:
        keywords.compile_pattern(value)
    except ValueError as exc:
        raise ValidationError(f"bad pattern {value!r}: {exc}") from None


class _LocaleSchema(Schema):
    greeting = fields.String(required=True, validate=_placeholders({"first_name"}, {"first_name"}))
    greeting_without_name = fields.String(required=True, validate=_placeholders(set()))
    neutral_topic = fields.String(required=True, validate=validate.Length(min=1, max=100))
    # A list of lines, so the letter stays readable in JSON; "" is a blank line.
    body = fields.List(fields.String(), required=True, validate=[
        validate.Length(min=1),
        lambda lines: _placeholders({"owner_name", "topic"}, {"owner_name", "topic"})("\n".join(lines))])


class _TopicSchema(Schema):
    keywords = fields.List(fields.String(validate=_pattern), required=True,
                           validate=validate.Length(min=1))
    phrases = fields.Dict(keys=fields.String(validate=validate.Regexp(_LANG)),
                          values=fields.String(validate=validate.Length(min=1, max=100)), required=True)


class _ConfirmationSchema(Schema):
    date_format = fields.String(required=True, validate=validate.Regexp(
        r"^(?:[^%]|%[dmYHM%])+$", error="only %d %m %Y %H %M may appear (no names from the OS locale)"))
    promise_line = fields.String(required=True, validate=_placeholders({"what", "who", "by"}, {"what", "by"}))
    body = fields.List(fields.String(), required=True, validate=[
        validate.Length(min=1),
        lambda lines: _placeholders({"owner_name", "promises"}, {"owner_name", "promises"})("\n".join(lines))])


class TemplatesSchema(Schema):
    default_locale = fields.String(required=True, validate=validate.Regexp(_LANG))
    locales = fields.Dict(keys=fields.String(validate=validate.Regexp(_LANG)),
                          values=fields.Nested(_LocaleSchema), required=True)
    topics = fields.List(fields.Nested(_TopicSchema), load_default=list)
    # Optional (no confirmation draft without it); when given, the default language has one.
    confirmation = fields.Dict(keys=fields.String(validate=validate.Regexp(_LANG)),
                               values=fields.Nested(_ConfirmationSchema), load_default=dict)

    @validates_schema
    def _complete(self, data: Mapping[str, Any], **kwargs: object) -> None:
        languages = set(data["locales"])
        if data["default_locale"] not in languages:
            raise ValidationError("must be one of the locales", "default_locale")
        errors = {i: {"phrases": [f"missing language(s) {sorted(languages - set(t['phrases']))}"]}
                  for i, t in enumerate(data.get("topics", [])) if languages - set(t["phrases"])}
        if errors:
            raise ValidationError({"topics": errors})
        confirmation = data.get("confirmation") or {}
        if confirmation and data["default_locale"] not in confirmation:
            raise ValidationError(f"missing the default language {data['default_locale']!r}", "confirmation")
        if set(confirmation) - languages:
            raise ValidationError(f"language(s) {sorted(set(confirmation) - languages)} have no locale "
                                  "(its greeting opens the letter)", "confirmation")

    @post_load
    def make(self, data: Mapping[str, Any], **kwargs: object) -> Templates:
        locales = {lang: LocaleTemplate(t["greeting"], t["greeting_without_name"],
                                        t["neutral_topic"], "\n".join(t["body"]))
                   for lang, t in data["locales"].items()}
        topics = tuple(Topic(dict(t["phrases"]), tuple(map(keywords.compile_pattern, t["keywords"])))
                       for t in data["topics"])
        confirmations = {lang: ConfirmationTemplate(t["date_format"], t["promise_line"], "\n".join(t["body"]))
                         for lang, t in data["confirmation"].items()}
        return Templates(data["default_locale"], locales, topics, confirmations)


def load_templates(directory: Path | str | None = None) -> Templates:
    return cast(Templates, mappings.load("templates", TemplatesSchema(), directory))


def resolve_locale(locale: str | None, templates: Templates) -> str:
    """``fr-CA``, ``fr_FR``, ``FR`` -> ``fr``; unknown or missing -> the default (``en``)."""
    language = re.split(r"[-_]", (locale or "").strip().lower(), maxsplit=1)[0]
    return language if language in templates.locales else templates.default_locale


def first_name(full_name: str | None) -> str | None:
    """``Marie Dubois`` -> ``Marie``; ``DUBOIS, Marie`` -> ``Marie``; None when unsure.

    Unsure means: no name, an email address, a lone title ("M. Dubois" gives no
    first name), or an initial. A wrong first name is worse than none."""
    name = text.one_line(full_name)  # a control or bidi character must not ride into the greeting
    if not name or "@" in name:
        return None
    if "," in name:  # "Last, First"
        name = name.split(",", 1)[1]
    words = name.split()
    title = bool(words) and words[0].rstrip(".").casefold() in _HONORIFICS
    if title:
        words = words[1:]
        if len(words) < 2:  # "Mme Dubois": the remaining word is the family name
            return None
    if not words or len(words[0].rstrip(".")) < 2:
        return None
    first = words[0]
    if first.isupper() or first.islower():  # "MARIE", "jean-pierre": fix the case
        first = "-".join(part.capitalize() for part in first.split("-"))
    return first


def comment_topic(comment: str | None, locale: str | None, *, templates: Templates) -> str | None:
    """The phrase of the topic mentioned first in the comment, in the letter's language."""
    hits = keywords.find(comment, [(topic, p) for topic in templates.topics for p in topic.patterns])
    if not hits:
        return None
    return hits[0].tag.phrases[resolve_locale(locale, templates)]


def recognition_draft(locale: str | None, *, first_name: str | None, owner_name: str,
                      topic: str | None, templates: Templates) -> str:
    if not owner_name or not owner_name.strip():
        raise ValueError("the recognition message must name its owner")
    template = templates.locales[resolve_locale(locale, templates)]
    greeting = (template.greeting.format(first_name=first_name.strip())
                if first_name and first_name.strip() else template.greeting_without_name)
    body = template.body.format(owner_name=owner_name.strip(),
                                topic=topic or template.neutral_topic)
    return f"{greeting}\n\n{body}"
