"""The sidebar's words in the agent's language, and moments in the agent's time zone.

Zendesk tells the app who the agent is (``currentUser.locale``, ``currentUser.timeZone``);
the page passes both to ``/zendesk/sidebar/case``. Anything unknown falls back to English
and UTC rather than failing: a wrong language is better than no sidebar. Stage titles are
the admin's (``mappings/protocol.json``); only the default English titles are translated,
so a title an admin chose is shown as written.
"""
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.web.ui.texts_catalog import FAILURE_LABELS, GESTURE_OFFERS, STAGE_ASKS, STAGE_TITLES, WORDS

LANGUAGES = tuple(WORDS)          # ("en", "fr")
SCALES = {"nps": 10, "csat": 5}
_DATE_FORMAT = {"en": "%Y-%m-%d %H:%M", "fr": "%d/%m/%Y %H:%M"}


def language_of(locale: str | None) -> str:
    """``fr``, ``fr-CA``, ``fr_FR`` -> ``fr``; anything else (or nothing) -> ``en``."""
    prefix = (locale or "").strip().lower().replace("_", "-").split("-")[0]
    return prefix if prefix in WORDS else "en"


def zone_of(name: str | None) -> tzinfo:
    """An IANA zone name (``Europe/Paris``); UTC when missing or unknown."""
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


class Words:
    """``t("key", **values)`` in one language; ``t.at(moment)`` in one time zone."""

    def __init__(self, language: str, zone: tzinfo):
        self.language, self.zone = language, zone
        self._words = WORDS[language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._words.get(key) or WORDS["en"][key]
        return text.format(**values) if values else text

    def word(self, group: str, value: str | None) -> str:
        """A stored value (priority, profile, outcome…) as the agent reads it; unknown ones as stored."""
        if value is None:
            return "—"
        return self._words.get(f"{group}.{value}") or WORDS["en"].get(f"{group}.{value}") or value

    def at(self, moment: datetime | str | None) -> str:
        if not moment:
            return "—"
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        local = moment.astimezone(self.zone)
        return f"{local.strftime(_DATE_FORMAT[self.language])} {local.tzname() or 'UTC'}"

    def stage(self, key: str, title: str) -> str:
        """``Tracking (day 7)`` / ``Suivi (jour 7)``: the admin's title, translated only if it is the default."""
        title = STAGE_TITLES.get(self.language, {}).get(title, title)
        day = key.rpartition("_d")[2]
        return self("stage.day", title=title, day=day) if day.isdigit() else title

    def ask(self, text: str) -> str:
        """A stage's instruction, translated only if it is the default wording."""
        return STAGE_ASKS.get(self.language, {}).get(text, text)

    def offer(self, text: str) -> str:
        """A default gesture's offer, translated only if it is the default wording."""
        return GESTURE_OFFERS.get(self.language, {}).get(text, text)

    def reason(self, label: str) -> str:
        """A failure reason's label, translated only if it is the default wording."""
        return FAILURE_LABELS.get(self.language, {}).get(label, label)

    def score(self, survey_type: str | None, score: int) -> str:
        """``NPS 3/10``: the score with its scale, so a 3 on CSAT is not read as an NPS 3."""
        if not survey_type:
            return str(score)
        scale = SCALES.get(survey_type)
        return f"{survey_type.upper()} {score}/{scale}" if scale else f"{survey_type.upper()} {score}"

    def status(self, status: str, outcome: str | None) -> str:
        """What "Outcome: open" meant: in progress, or how the recovery ended."""
        if status == "open":
            return self("status.open")
        return self("status.closed_as", outcome=self.word("outcome", outcome)) if outcome else self("status.closed")


def words_for(locale: str | None, zone: str | None) -> Words:
    return Words(language_of(locale), zone_of(zone))
