"""What a respondent wrote, made safe to put in front of the team.

A respondent controls their name, company and comment. A newline in a name
forges a line in a chat alert or a note ("Owner: CEO says refund 10000 EUR");
a bidi override or a zero-width character hides what a line says. So names
are one line of visible text (``one_line``), and a comment is always shown as a
quoted block (``quoted``): every line of it starts with ``> ``, so no line the
respondent wrote can pass for one the connector wrote.
"""
import re
import unicodedata

QUOTE = "> "
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")


def _invisible(char: str) -> bool:
    # Cc: controls (CR, LF, TAB, ESC…); Cf: format (zero-width, bidi overrides); Zl/Zp: the
    # Unicode line and paragraph separators; Cs/Co/Cn: nothing a person types as a name.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def one_line(value: str | None) -> str | None:
    """``value`` as one line: control and format characters become spaces, runs of spaces one."""
    if value is None:
        return None
    if value.isascii() and value.isprintable():  # no control character: only spaces to squeeze
        return " ".join(value.split())
    return " ".join("".join(" " if _invisible(c) else c for c in value).split())


def quoted(comment: str, limit: int | None = None) -> list[str]:
    """The comment as ``> `` lines (cut at ``limit`` characters); controls other than the line
    breaks are dropped, so a carriage return cannot rewrite the line it is on."""
    text = comment if limit is None else comment[:limit]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = ["".join(c for c in line if c == "\t" or not _invisible(c)).rstrip() for line in lines]
    return [f"{QUOTE}{line}".rstrip() for line in kept] or [QUOTE.rstrip()]


def plain_name(value: object) -> str | None:
    """``value`` if it is a short code or field name (letters, digits, ``_``, ``.``, ``-``): safe to
    log or show, as a vendor's error code or a refused field's name is; None for anything else,
    which may be a value someone typed."""
    return value if isinstance(value, str) and _PLAIN_NAME.match(value) else None
