"""Logging that cannot leak: customer emails and configured secrets are masked.

Code logs ids and statuses only; this is the safety net for what slips
through (an access log line with ``?email=``, an SDK debug message). It works
at record creation, so every handler — ours, pytest's, gunicorn's — gets the
masked text.

A sender chooses some of what is logged (an event type, a path). A CR or LF in it
would start a forged line in the shared log, so the message (its arguments
included) has every control character escaped: ``\\n``, ``\\r``, ``\\x1b``. A
traceback keeps its own line breaks.
"""
import logging
import re

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Credentials that travel in URLs: the OAuth callback's single-use code and state, the
# one-hour join link, tokens. An access log line must not hand them to whoever reads it.
URL_CREDENTIAL = re.compile(r"([?&](?:code|state|join|token|access_token|refresh_token|client_secret|jwt)=)"
                            r"[^&\s\"']+", re.IGNORECASE)
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "[secret]")
    return URL_CREDENTIAL.sub(r"\1[redacted]", EMAIL.sub("[email]", text))


def one_line(text: str) -> str:
    """``text`` with its control characters written out, so it stays one log line."""
    return CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                                            else f"\\u{ord(m.group()):04x}"), text)


def install_redaction(secrets=()) -> None:
    global _installed
    _secrets.update(s for s in secrets if s and len(s) >= 6)
    if _installed:
        return
    _installed = True
    original = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = original(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not kill the caller
            return record
        record.msg, record.args = one_line(redact(message)), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic narrates every start ("Will assume non-transactional DDL"): only its warnings matter
    # here; `recovery install-schema` prints the revision itself.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
