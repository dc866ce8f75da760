"""The day-60 re-survey (SPEC "The REACT protocol"): which survey tool sends it, and the open
question on the recovery experience it carries.

The connector asks a survey tool to send it where the tool has an API for it: Delighted when
the case was opened by a Delighted answer and the account has a Delighted API key, else the
generic outbound webhook when one is configured; with neither, the owner sends it by hand
(the stage's task, as before).
"""
from collections.abc import Collection

DELIGHTED, WEBHOOK, MANUAL = "delighted", "webhook", "manual"
STAGE = "resurvey_d60"  # contract key of the re-survey stage

# The open question on how the recovery went, in the customer's language (English otherwise).
QUESTIONS = {
    "en": "A few weeks ago you told us about a problem, and we worked with you to put it right. "
          "How did that go for you, and what could we still do better?",
    "fr": "Il y a quelques semaines, vous nous avez fait part d'un problème et nous avons travaillé "
          "avec vous pour le régler. Comment cela s'est-il passé pour vous, et que pourrions-nous "
          "encore améliorer ?",
}


def channel(opening_source: str, configured: Collection[str]) -> str:
    """The tool that sends the re-survey: the case's own Delighted account first (its answer
    lands where the first one came from), then the generic webhook, else ``manual``."""
    if opening_source == DELIGHTED and DELIGHTED in configured:
        return DELIGHTED
    if WEBHOOK in configured:
        return WEBHOOK
    return MANUAL


def question(locale: str | None) -> str:
    """The open question in ``fr-CA`` / ``fr`` / … when known, else in English."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return QUESTIONS.get(language, QUESTIONS["en"])
