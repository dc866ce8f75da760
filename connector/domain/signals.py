"""Weak signals and the weekly digest: when a valuable account cools before any detractor answer.

The protocol's source: "three tickets in a month" from an account is a signal, and so is a key
contact whose score slides (10 -> 7) without yet being a detractor. Both are raised once per
signal, contact and period; thresholds are data (``mappings/signals.json``). Pure functions.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from connector import mappings
from connector.domain.rules import VALUE_TIERS

TICKETS = "tickets"
SCORE_DROP = "score_drop"
SIGNALS = (TICKETS, SCORE_DROP)
_EPOCH = datetime(2020, 1, 6, tzinfo=timezone.utc)  # a Monday: periods are counted from it
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class SignalRules:
    tiers: frozenset[str]       # value tiers watched (default: critical, high)
    ticket_count: int           # this many Zendesk tickets ...
    ticket_window_days: int     # ... within this many days
    score_drop: int             # points lost between two consecutive answers of one survey type
    period_days: int            # one alert per signal, contact and period
    digest_weekday: int         # 0 = Monday (ISO weekday - 1), UTC
    digest_hour: int            # UTC


class SignalsSchema(Schema):
    tiers = fields.List(fields.String(validate=validate.OneOf(VALUE_TIERS)), load_default=lambda: ["critical", "high"],
                        validate=validate.Length(min=1))
    ticket_count = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=1, max=1000))
    ticket_window_days = fields.Integer(strict=True, load_default=30, validate=validate.Range(min=1, max=365))
    score_drop = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=1, max=10))
    period_days = fields.Integer(strict=True, load_default=30, validate=validate.Range(min=1, max=365))
    digest_weekday = fields.String(load_default="monday", validate=validate.OneOf(WEEKDAYS))
    digest_hour = fields.Integer(strict=True, load_default=8, validate=validate.Range(min=0, max=23))

    @post_load
    def _rules(self, data: dict[str, Any], **kwargs: object) -> SignalRules:
        return SignalRules(tiers=frozenset(data["tiers"]), ticket_count=data["ticket_count"],
                           ticket_window_days=data["ticket_window_days"], score_drop=data["score_drop"],
                           period_days=data["period_days"], digest_weekday=WEEKDAYS.index(data["digest_weekday"]),
                           digest_hour=data["digest_hour"])


def load_signal_rules(directory: Path | str | None = None) -> SignalRules:
    loaded: SignalRules = mappings.load("signals", SignalsSchema(), directory)
    return loaded


DEFAULT_RULES = SignalsSchema().load({})


def watched(value_tier: str, rules: SignalRules) -> bool:
    return value_tier in rules.tiers


def ticket_burst(recent_tickets: int | None, rules: SignalRules) -> bool:
    """``recent_tickets``: the contact's tickets in the last ``ticket_window_days`` (None: unknown)."""
    return recent_tickets is not None and recent_tickets >= rules.ticket_count


def score_drop(previous: int | None, current: int, category: str, rules: SignalRules) -> bool:
    """A drop of ``score_drop`` points or more between two consecutive answers of one survey type,
    to a score that is not itself a detractor's (that one opens a case, a louder alert)."""
    return previous is not None and category != "detractor" and previous - current >= rules.score_drop


def period_of(now: datetime, rules: SignalRules) -> str:
    """The period a signal raised at ``now`` belongs to: its first day (fixed windows of
    ``period_days`` from a fixed Monday, the same for every worker)."""
    index = (now - _EPOCH) // timedelta(days=rules.period_days)
    return (_EPOCH + index * timedelta(days=rules.period_days)).date().isoformat()


def iso_week(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(now: datetime, rules: SignalRules) -> bool:
    """The week's digest is due from the configured weekday and hour (UTC) to the week's end."""
    weekday = now.weekday()
    return weekday > rules.digest_weekday or (weekday == rules.digest_weekday and now.hour >= rules.digest_hour)


def week_start(now: datetime) -> datetime:
    monday = now - timedelta(days=now.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)
