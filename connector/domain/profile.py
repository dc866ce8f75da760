"""Detractor profile: disappointed, chronic or structural, with the signals that fired.

Decision rule (first that applies):

1. ``structural`` when any structural signal fires: a comparison with a
   competitor of another category ("enterprise-grade", "built for small
   shops") or a need outside the product's scope ("we need … you don't have").
   Poor fit outranks everything else because it changes the playbook (a
   graceful exit), whatever the history says.
2. ``chronic`` when at least one chronic signal fires: ``chronic_ticket_count``
   or more Zendesk tickets from this requester in the last
   ``ticket_window_days`` days, an earlier detractor answer, or chronic words
   ("again", "still", "encore", "toujours", "chaque fois", …).
3. ``disappointed`` otherwise (the default, and the most common case). Its
   signals say why: "historically satisfied (earlier answers 7+)" or "no
   earlier complaints", plus any disappointed words ("usually … but this time",
   "d'habitude … mais cette fois").

Leaving for a competitor of the *same* category ("switching to", "je cherche
déjà un autre fournisseur", "passer chez") is not a poor fit: that customer can
still be won back. On a disappointed or chronic case it sets ``churn_risk``
(which raises the case's priority, see ``rules.priority``) and its signal is
listed after the profile's own; a structural case never carries it.

Only the winning profile's signals (and the churn-risk signal) are returned:
they explain the decision to the agent. Keywords live in ``mappings/profile.json``, per language, and every
language's lists are checked whatever the answer's locale, because real data
mixes languages (a French customer answering in English with locale ``fr``).
Matching rules are in :mod:`connector.domain.keywords`; the "ignore" phrases
exist only to silence a word inside them ("pas encore" is "not yet", "encore
merci" is "thanks again": neither is a chronic "encore").
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate

from connector import mappings
from connector.domain import keywords

PROFILES = ("disappointed", "chronic", "structural")
_WORD_CATEGORIES = ("structural", "chronic", "disappointed", "churn_risk")
_IGNORE = ("ignore", "")


@dataclass(frozen=True)
class ProfileRules:
    chronic_ticket_count: int
    ticket_window_days: int
    detractor_max: Mapping[str, int]    # survey type -> highest detractor score
    patterns: tuple[tuple[tuple[str, str], keywords.Pattern], ...]  # ((category, label), pattern)
    index: keywords.Index[tuple[str, str]] = field(init=False, repr=False, compare=False)  # of ``patterns``

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", keywords.Index(self.patterns))


@dataclass(frozen=True)
class ProfileResult:
    profile: str
    signals: tuple[str, ...]
    churn_risk: bool = False  # leaving for a same-category competitor: raises the case's urgency


def _check_pattern(value: str) -> None:
    try:
        keywords.compile_pattern(value)
    except ValueError as exc:
        raise ValidationError(f"bad pattern {value!r}: {exc}") from None


def _patterns() -> fields.List[str]:
    return fields.List(fields.String(validate=[validate.Length(min=1, max=200), _check_pattern]))


def _labelled() -> fields.Dict:
    # label (what the agent reads before the words, e.g. "outside the product's scope") -> patterns
    return fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=60)),
                       values=_patterns(), load_default=dict)


class _LanguageSchema(Schema):
    structural = _labelled()
    chronic = _labelled()
    disappointed = _labelled()
    churn_risk = _labelled()
    ignore = _patterns()


class _DetractorMaxSchema(Schema):
    # Same defaults as rules.json (NPS 0-6, CSAT 1-2 are detractors).
    nps = fields.Integer(required=True, strict=True, validate=validate.Range(0, 9))
    csat = fields.Integer(required=True, strict=True, validate=validate.Range(1, 4))


class ProfileRulesSchema(Schema):
    chronic_ticket_count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    ticket_window_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    detractor_max = fields.Nested(_DetractorMaxSchema, required=True)
    languages = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$")),
                            values=fields.Nested(_LanguageSchema), required=True,
                            validate=validate.Length(min=1))

    @post_load
    def make(self, data: Mapping[str, Any], **kwargs: object) -> ProfileRules:
        patterns: list[tuple[tuple[str, str], keywords.Pattern]] = []
        for language in data["languages"].values():
            for category in _WORD_CATEGORIES:
                for label, texts in language.get(category, {}).items():
                    patterns += [((category, label), keywords.compile_pattern(t)) for t in texts]
            patterns += [(_IGNORE, keywords.compile_pattern(t)) for t in language.get("ignore", [])]
        return ProfileRules(data["chronic_ticket_count"], data["ticket_window_days"],
                            dict(data["detractor_max"]), tuple(patterns))


def load_profile_rules(directory: Path | str | None = None) -> ProfileRules:
    return cast(ProfileRules, mappings.load("profile", ProfileRulesSchema(), directory))


def _word_signals(comment: str | None, rules: ProfileRules) -> dict[str, list[str]]:
    """Per category, one signal per label in order of first appearance: 'label: "a", "b"'."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for hit in keywords.find(comment, rules.index):
        if hit.tag == _IGNORE:
            continue
        words = grouped.setdefault(hit.tag, [])
        if hit.pattern.text not in words:
            words.append(hit.pattern.text)
    signals: dict[str, list[str]] = {category: [] for category in _WORD_CATEGORIES}
    for (category, label), words in grouped.items():
        signals[category].append(f"{label}: " + ", ".join(f'"{w}"' for w in words))
    return signals


def _scores_text(scores: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{survey.upper()} {score}" for survey, score in scores)


def _satisfied_text(earlier: Sequence[tuple[str, int]], rules: ProfileRules) -> str:
    types = sorted({survey for survey, _ in earlier}, key=("nps", "csat").index)
    if types == ["nps"]:
        return f"historically satisfied (earlier answers {rules.detractor_max['nps'] + 1}+)"
    floors = ", ".join(f"{t.upper()} {rules.detractor_max[t] + 1}+" for t in types)
    return f"historically satisfied (earlier answers {floors})"


def classify_profile(comment: str | None, locale: str | None, *, recent_ticket_count: int | None,
                     earlier_scores: Sequence[tuple[str, int]], rules: ProfileRules) -> ProfileResult:
    """``earlier_scores``: (survey type, score) of this customer's earlier answers, not this one.
    ``recent_ticket_count``: None when unknown (Zendesk unreachable), which fires nothing.
    ``locale`` does not select keyword lists (see the module docstring)."""
    for survey, _ in earlier_scores:
        if survey not in rules.detractor_max:
            raise ValueError(f"unknown survey type {survey!r}")
    words = _word_signals(comment, rules)
    if words["structural"]:
        return ProfileResult("structural", tuple(words["structural"]))
    churn = tuple(words["churn_risk"])

    chronic: list[str] = []
    if recent_ticket_count is not None and recent_ticket_count >= rules.chronic_ticket_count:
        plural = "s" if recent_ticket_count != 1 else ""
        chronic.append(f"{recent_ticket_count} Zendesk ticket{plural} in the last "
                       f"{rules.ticket_window_days} days")
    detractors = [(s, v) for s, v in earlier_scores if v <= rules.detractor_max[s]]
    if detractors:
        plural = "s" if len(detractors) > 1 else ""
        chronic.append(f"earlier detractor answer{plural} ({_scores_text(detractors)})")
    chronic += words["chronic"]
    if chronic:
        return ProfileResult("chronic", (*chronic, *churn), bool(churn))

    history = _satisfied_text(earlier_scores, rules) if earlier_scores else "no earlier complaints"
    return ProfileResult("disappointed", (history, *words["disappointed"], *churn), bool(churn))
