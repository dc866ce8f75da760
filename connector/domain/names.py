"""A respondent's full name split into HubSpot's ``firstname`` and ``lastname``.

Surveys give one free-text name ("Marie Dubois", "Dubois, Marie", "DUBOIS Marie",
"Jean de La Fontaine"). The split is a best guess a rep can live with, never a
claim: it only ever fills empty HubSpot fields (see ``providers.hubspot.contacts``).
Rules, in order:

* control and format characters are dropped first (``one_line``): a name is one line;
* an e-mail address is not a name (some surveys put it there when the name is empty);
* courtesy titles (Mme, M., Mr, Dr…) are dropped; a title before a single word marks
  it as a surname ("Mme Dubois");
* "Last, First" is the explicit order ("Smith, John Jr." keeps Jr. with Smith);
* an all-capitals word before other words is the French surname-first habit ("DUBOIS Marie");
* otherwise the surname starts at the first particle after the first word ("Jean de La
  Fontaine", "Ludwig van Beethoven"), or is the last word with its suffix ("Smith Jr.").
"""
from typing import NamedTuple

from connector.domain.text import one_line

MAX_LENGTH = 100  # a name, not a paragraph
TITLES = frozenset({"m", "m.", "mme", "mme.", "mlle", "mlle.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
                    "miss", "dr", "dr.", "pr", "pr.", "prof", "prof.", "me", "me.", "sir", "madame",
                    "monsieur", "mademoiselle"})
PARTICLES = frozenset({"de", "du", "des", "d'", "la", "le", "van", "von", "der", "den", "ter", "di", "da",
                       "del", "della", "dos", "das", "st", "st.", "saint", "ben", "bin", "al", "el"})
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "fils", "père"})


class Name(NamedTuple):
    first: str | None
    last: str | None


def _clip(words: list[str]) -> str | None:
    return " ".join(words)[:MAX_LENGTH].strip() or None


def _surname_first(word: str, rest: list[str]) -> bool:
    """"DUBOIS Marie": a capitals-only word of 2+ letters before words that are not."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and word.isupper() and any(not w.isupper() for w in rest)


def split_name(full: str | None) -> Name:
    """First and last name from a free-text full name; either may be None."""
    text = one_line(full) or ""
    if not text or "@" in text:
        return Name(None, None)
    if text.count(",") == 1:
        last, first = (part.split() for part in text.split(","))
        last = [w for w in last if w.lower() not in TITLES]
        suffix = [w for w in first if w.lower() in SUFFIXES]  # "Smith, John Jr.": Jr. is the surname's
        first = [w for w in first if w.lower() not in SUFFIXES and w.lower() not in TITLES]
        if last and first:
            return Name(_clip(first), _clip(last + suffix))
        text = text.replace(",", " ")
    words = text.split()
    titled = bool(words) and words[0].lower() in TITLES and len(words) > 1
    words = [w for w in words if w.lower() not in TITLES] or words
    if len(words) == 1:
        return Name(None, _clip(words)) if titled else Name(_clip(words), None)
    if _surname_first(words[0], words[1:]):
        cut = next(i for i, w in enumerate(words) if not w.isupper())
        return Name(_clip(words[cut:]), _clip(words[:cut]))
    particle = next((i for i, w in enumerate(words[1:-1], 1) if w.lower() in PARTICLES), None)
    if particle is not None:
        return Name(_clip(words[:particle]), _clip(words[particle:]))
    cut = len(words) - 1
    while cut > 1 and words[cut].lower() in SUFFIXES:
        cut -= 1
    return Name(_clip(words[:cut]), _clip(words[cut:]))


def company_name(company: str | None) -> str | None:
    """The respondent's company as one line of visible text, or None when empty."""
    return (one_line(company) or "")[:MAX_LENGTH].strip() or None
