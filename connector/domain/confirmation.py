"""The written confirmation of the action plan, drafted for the agent to send after the call.

The letter is in the customer's language (``mappings/templates.json``, ``confirmation``),
opens with the recognition letter's greeting and lists each promise with its owner and
date; a language without a confirmation template falls back to the default language's.
"""
from collections.abc import Sequence
from datetime import datetime, timezone

from connector.domain.templates import Templates, resolve_locale


def confirmation_draft(locale: str | None, *, first_name: str | None, owner_name: str | None,
                       promises: Sequence[tuple[str, str, datetime]], templates: Templates) -> str | None:
    """None when there is nothing to confirm, nobody to sign it, or no template configured."""
    if not promises or not owner_name or not owner_name.strip() or not templates.confirmations:
        return None
    language = resolve_locale(locale, templates)
    if language not in templates.confirmations:
        language = templates.default_locale
    template = templates.confirmations[language]
    greeting_of = templates.locales[language]
    greeting = (greeting_of.greeting.format(first_name=first_name.strip())
                if first_name and first_name.strip() else greeting_of.greeting_without_name)
    listed = "\n".join(template.promise_line.format(
        what=what, who=who, by=by.astimezone(timezone.utc).strftime(template.date_format))
        for what, who, by in sorted(promises, key=lambda p: p[2]))
    body = template.body.format(owner_name=owner_name.strip(), promises=listed)
    return f"{greeting}\n\n{body}"
