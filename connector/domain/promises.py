"""Promises made to the customer on the action-plan call: what, who, by when.

SPEC's action stage asks for "each action with an owner and a date"; each promise is
what the agent submits for one of them. ``by`` is a date (the promise is due at the end
of that day, UTC) or a datetime (a naive one is read as UTC). A promise due before the
case opened, or already in the past when it is entered, could only be overdue at once,
so it is refused with its field named.
"""
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timezone
from typing import Any, TypedDict

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_PROMISES = 10     # one call's plan; more is a paste gone wrong, not a plan
MAX_WHAT = 300
MAX_WHO = 200
# A chronic case's plan must show a structural change someone answers for (issue 11, item 3).
CHRONIC_PLAN_MESSAGE = "A chronic case's action plan needs a named owner and a date: add a promise."


class PromiseInput(TypedDict):
    """What ``PromiseSchema`` loads: ``by`` aware, UTC."""
    what: str
    who: str
    by: datetime


class _DateOrDateTime(fields.Field[datetime]):
    """``2026-12-10`` (end of that day, UTC) or ``2026-12-10T14:00:00+01:00``."""

    default_error_messages = {"invalid": "Not a valid date or datetime (ISO 8601)."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: object) -> datetime:
        if not isinstance(value, str) or not value.strip():
            raise self.make_error("invalid")
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(23, 59), tzinfo=timezone.utc)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _text(maximum: int) -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=maximum),
                                                  validate.Regexp(r"\S", error="Must not be blank.")])


class PromiseSchema(Schema):
    what = _text(MAX_WHAT)
    who = _text(MAX_WHO)     # the owner's e-mail (maps to a HubSpot owner) or a name
    by = _DateOrDateTime(required=True)


class PromisesSchema(Schema):
    """``not_before`` (aware) bounds every ``by``: the case's opening or now, whichever is later."""
    promises = fields.List(fields.Nested(PromiseSchema), required=True,
                           validate=validate.Length(min=1, max=MAX_PROMISES))

    def __init__(self, not_before: datetime | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.not_before = not_before

    @validates_schema
    def _not_in_the_past(self, data: Mapping[str, Any], **kwargs: object) -> None:
        if self.not_before is None:
            return
        late = {i: {"by": [f"Must not be before {self.not_before:%Y-%m-%d %H:%M} UTC "
                           "(the case's opening or now, whichever is later)."]}
                for i, p in enumerate(data.get("promises", [])) if p["by"] < self.not_before}
        if late:
            raise ValidationError({"promises": late})


def load_promises(raw: object, *, opened_at: datetime, now: datetime) -> list[PromiseInput]:
    """Validate a list of promises; ValidationError names each bad field
    (``{"promises": {index: {field: [...]}}}``)."""
    loaded: dict[str, list[PromiseInput]] = PromisesSchema(max(opened_at, now)).load({"promises": raw})
    return [{"what": p["what"].strip(), "who": p["who"].strip(), "by": p["by"]} for p in loaded["promises"]]


def fingerprint(what: str, who: str, by: datetime) -> str:
    """The same promise submitted twice (a double click, a retried form) is one promise."""
    normal = "\x1f".join((" ".join(what.split()).casefold(), who.strip().casefold(),
                          by.astimezone(timezone.utc).isoformat()))
    return hashlib.sha256(normal.encode()).hexdigest()[:40]


def hubspot_owner_hint(who: str) -> str | None:
    """An e-mail names a possible HubSpot owner; a bare name does not."""
    return who if "@" in who and " " not in who.strip() else None


def promise_line(what: str, who: str, by: datetime) -> str:
    """The line on the Zendesk note (SPEC wording: Promise: what — who — by date)."""
    return f"Promise: {what} — {who} — by {by.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def lines(promises: Sequence[tuple[str, str, datetime]]) -> list[str]:
    return [promise_line(*p) for p in promises]
