"""Business hours: when an admin puts the call stages on the Zendesk account's schedule, a call
due while the team is closed is due at the schedule's next opening instead.

A schedule is Zendesk's shape (Schedules API): a time zone and intervals in minutes since
Sunday 00:00 local time, none spanning a calendar day. Wall-clock arithmetic is done in the
schedule's zone, so "Monday 09:00" stays 09:00 across a daylight-saving change.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

WEEK_MINUTES = 7 * 24 * 60
DAY_MINUTES = 24 * 60

# Zendesk names zones as Rails does ("Eastern Time (US & Canada)"); the common ones, and any IANA
# name as-is. A zone neither knows is refused when the schedule is fetched (calls stay on calendar hours).
RAILS_ZONES = {
    "UTC": "Etc/UTC", "London": "Europe/London", "Edinburgh": "Europe/London", "Dublin": "Europe/Dublin",
    "Lisbon": "Europe/Lisbon", "Paris": "Europe/Paris", "Brussels": "Europe/Brussels",
    "Amsterdam": "Europe/Amsterdam", "Berlin": "Europe/Berlin", "Bern": "Europe/Zurich",
    "Zurich": "Europe/Zurich", "Madrid": "Europe/Madrid", "Rome": "Europe/Rome", "Vienna": "Europe/Vienna",
    "Stockholm": "Europe/Stockholm", "Copenhagen": "Europe/Copenhagen", "Warsaw": "Europe/Warsaw",
    "Prague": "Europe/Prague", "Athens": "Europe/Athens", "Helsinki": "Europe/Helsinki",
    "Eastern Time (US & Canada)": "America/New_York", "Central Time (US & Canada)": "America/Chicago",
    "Mountain Time (US & Canada)": "America/Denver", "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Arizona": "America/Phoenix", "Alaska": "America/Juneau", "Hawaii": "Pacific/Honolulu",
    "Atlantic Time (Canada)": "America/Halifax", "Brasilia": "America/Sao_Paulo",
    "Mexico City": "America/Mexico_City", "Tokyo": "Asia/Tokyo", "Singapore": "Asia/Singapore",
    "Hong Kong": "Asia/Hong_Kong", "Mumbai": "Asia/Kolkata", "New Delhi": "Asia/Kolkata",
    "Sydney": "Australia/Sydney", "Melbourne": "Australia/Melbourne", "Auckland": "Pacific/Auckland",
}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(RAILS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    intervals: tuple[tuple[int, int], ...]  # (start, end) minutes since Sunday 00:00, sorted


def _sunday_midnight(local: datetime) -> datetime:
    """The naive wall-clock start of ``local``'s week (Python's Monday is 0, Zendesk's week starts Sunday)."""
    days_since_sunday = (local.weekday() + 1) % 7
    return datetime.combine(local.date() - timedelta(days=days_since_sunday), time())


def roll_forward(due: datetime, schedule: Schedule) -> datetime:
    """``due`` itself if the team is open then, else the schedule's next opening (UTC-aware)."""
    if due.tzinfo is None:
        raise ValueError("due must carry a UTC offset")
    if not schedule.intervals:
        return due  # a schedule that never opens cannot be waited for
    tz = zone(schedule.time_zone)
    local = due.astimezone(tz)
    week = _sunday_midnight(local)
    minute = (local.replace(tzinfo=None) - week) // timedelta(minutes=1)
    if any(start <= minute < end for start, end in schedule.intervals):
        return due
    for weeks in (0, 1):
        for start, _end in schedule.intervals:
            if weeks or start > minute:
                opening = week + timedelta(weeks=weeks, minutes=start)
                return opening.replace(tzinfo=tz).astimezone(due.tzinfo)
    raise AssertionError("unreachable: a non-empty schedule opens within a week")


class _IntervalSchema(Schema):
    start_time = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=WEEK_MINUTES))
    end_time = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=WEEK_MINUTES))

    @validates_schema(skip_on_field_errors=True)
    def _one_day(self, data: Mapping[str, int], **kwargs: object) -> None:
        start, end = data["start_time"], data["end_time"]
        if end <= start or start // DAY_MINUTES != (end - 1) // DAY_MINUTES:
            raise ValidationError("an interval ends after it starts, within the same day", "end_time")


class ScheduleSchema(Schema):
    """One Zendesk schedule object (only what is used; the rest of the object is ignored)."""
    time_zone = fields.String(required=True)
    intervals = fields.List(fields.Nested(_IntervalSchema), required=True)

    class Meta:
        unknown = "exclude"

    @validates_schema(skip_on_field_errors=True)
    def _known_zone(self, data: Mapping[str, Any], **kwargs: object) -> None:
        try:
            zone(data["time_zone"])
        except ValueError as exc:
            raise ValidationError(str(exc), "time_zone") from None

    @post_load
    def make(self, data: Mapping[str, Any], **kwargs: object) -> Schedule:
        intervals = sorted((i["start_time"], i["end_time"]) for i in data["intervals"])
        return Schedule(time_zone=data["time_zone"], intervals=tuple(intervals))


def as_cached(schedule: Schedule) -> dict[str, Any]:
    """The schedule as stored (Zendesk's own shape, so ``ScheduleSchema`` reads it back)."""
    return {"time_zone": schedule.time_zone,
            "intervals": [{"start_time": s, "end_time": e} for s, e in schedule.intervals]}
