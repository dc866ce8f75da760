"""Keyword patterns over free-text comments (profile signals, comment topics).

A pattern is written the way an admin thinks of it, and shown back verbatim
to agents as the reason a signal fired:

- ``every time``: whole words, so "again" never fires inside "against";
  accents, case and ligatures are ignored ("deja" = "déjà", "COEUR" = "cœur").
- ``d'habitude``: an apostrophe matches straight or curly quotes, spaces
  around it, or none at all ("d’habitude", "d' habitude", "dhabitude"),
  because typed comments are sloppy. Elided words need no special care: the
  apostrophe is not a letter, so ``habitude`` also fires in "l'habitude".
- ``enterprise-grade``: a hyphen also matches a space or nothing.
- ``satisf*``: a trailing star matches any word ending (satisfait, satisfied).
- ``usually … but this time`` (or ``...``): the parts must all occur, in that
  order, anywhere in the same comment.

Overlaps resolve "longest phrase wins": a hit is dropped when one of its parts
sits inside a strictly longer part of another hit. That is what lets
"not the first time" outrank "first time", "encore merci" (an ignore phrase)
silence "encore", and "always been happy" silence "always".
"""
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

GAP = "..."  # "…" (U+2026) becomes "..." under NFKD, so one marker covers both
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032\uff07"})
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_TOKEN = re.compile(r"\w+")  # a whole word, as the patterns' (?<!\w) and (?!\w) bound one
TagT = TypeVar("TagT")  # whatever the caller groups hits by


@lru_cache(maxsize=64)
def normalize(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe.

    Cached: a detractor's comment is normalized by the profile and the causes (and a pattern's
    text on every load), and the character-by-character pass below was a twentieth of its CPU."""
    if text.isascii():  # no accent, ligature or curly quote: the backtick is the one to change
        return text.replace("`", "'").lower()
    text = text.translate(_APOSTROPHES).translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Pattern:
    text: str               # as the admin wrote it; this is what agents see
    regex: re.Pattern[str]  # one capture group per gap-separated part
    # The longest run of letters every match contains verbatim: a comment without it is not
    # searched (one substring test instead of a regex scan per pattern; most comments hit few).
    needle: str = ""
    # The longest word every match holds whole (word characters between non-word ones: no
    # apostrophe, hyphen or star in it), "" when it has none: ``Index`` looks patterns up by it.
    word: str = ""


def _word(word: str) -> str:
    prefix = word.endswith("*")
    if prefix:
        word = word[:-1]
    if not word or "*" in word:
        raise ValueError("'*' may only end a word")
    out = []
    for char in word:
        if char == "'":
            out.append(r"\s*'?\s*")
        elif char == "-":
            out.append(r"[-\s]?")
        else:
            out.append(re.escape(char))
    return "".join(out) + (r"\w*" if prefix else "")


def compile_pattern(text: str) -> Pattern:
    """Raises ValueError (with the reason) for an empty pattern or empty part."""
    parts = [part.strip() for part in normalize(text).split(GAP)]
    if any(not part for part in parts):
        raise ValueError("empty pattern, or nothing on one side of '…'")
    regex = ".*?".join(
        r"(?<!\w)(" + r"\s+".join(_word(w) for w in part.split()) + r")(?!\w)" for part in parts)
    # What _word matches literally: a word's characters between an apostrophe, a hyphen or the star.
    runs = [run for part in parts for word in part.split() for run in re.split(r"['*-]", word)]
    # Words are joined by whitespace and bounded by (?<!\w) and (?!\w): a word of word characters
    # only is a whole word of the text wherever the pattern matches.
    whole = [word for part in parts for word in part.split() if _TOKEN.fullmatch(word)]
    return Pattern(text.strip(), re.compile(regex, re.DOTALL), max(runs, key=len, default=""),
                   max(whole, key=len, default=""))


class Index(Generic[TagT]):
    """Entries ``(tag, pattern)`` looked up by their pattern's whole word: a comment is searched
    with the patterns whose word it holds, found with a dict look-up per word of the comment
    instead of a substring test per pattern (two hundred and more, on a detractor's every answer).
    A pattern without a whole word (``refund*``, ``enterprise-grade``) is tested by its needle.
    The entries keep their order: hits at one position come out as ``find`` over the list gives."""

    def __init__(self, entries: Iterable[tuple[TagT, Pattern]]):
        self.entries = tuple(entries)
        self._by_word: dict[str, list[int]] = {}
        self._by_needle: list[tuple[str, int]] = []
        for position, (_, pattern) in enumerate(self.entries):
            if pattern.word:
                self._by_word.setdefault(pattern.word, []).append(position)
            else:
                self._by_needle.append((pattern.needle, position))

    def candidates(self, normalized: str) -> list[tuple[TagT, Pattern]]:
        """The entries that may match ``normalized`` (a ``normalize`` d text), in their order."""
        by_word = self._by_word
        positions = [position for word in set(_TOKEN.findall(normalized)) for position in by_word.get(word, ())]
        positions += [position for needle, position in self._by_needle if needle in normalized]
        return [self.entries[position] for position in sorted(positions)]


@dataclass(frozen=True)
class Hit(Generic[TagT]):
    tag: TagT  # whatever the caller groups hits by
    pattern: Pattern
    spans: tuple[tuple[int, int], ...]  # one per part, in the normalized text

    @property
    def start(self) -> int:
        return self.spans[0][0]


def _inside_longer(span: tuple[int, int], other: tuple[int, int]) -> bool:
    return other[0] <= span[0] and span[1] <= other[1] and other[1] - other[0] > span[1] - span[0]


def find(text: str | None, entries: Iterable[tuple[TagT, Pattern]] | Index[TagT]) -> list[Hit[TagT]]:
    """Every non-overlapped occurrence of every pattern, in order of position."""
    if not text:
        return []
    normalized = normalize(text)
    if isinstance(entries, Index):
        entries = entries.candidates(normalized)
    hits = [Hit(tag, pattern, tuple(m.span(i) for i in range(1, m.re.groups + 1)))
            for tag, pattern in entries if pattern.needle in normalized for m in pattern.regex.finditer(normalized)]
    kept = [hit for hit in hits
            if not any(other is not hit and _inside_longer(span, other_span)
                       for other in hits for other_span in other.spans for span in hit.spans)]
    return sorted(kept, key=lambda hit: hit.start)
