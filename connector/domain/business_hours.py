"""Business hours: when an admin puts the call stages on the Zendesk account's schedule, a call
due while the team is closed is due at the schedule's next opening instead.

A schedule is Zendesk's shape (Schedules API): a time zone, intervals in minutes since Sunday
00:00 local time, and holidays (whole local days, ``start_date`` to ``end_date`` inclusive) on
which the team is closed. Wall-clock arithmetic is done in the schedule's zone, so "Monday 09:00"
stays 09:00 across a daylight-saving change.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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
    holidays: tuple[tuple[date, date], ...] = ()  # (first, last) closed local days

    def closed_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.holidays)


def _sunday_midnight(local: datetime) -> datetime:
    """The naive wall-clock start of ``local``'s week (Python's Monday is 0, Zendesk's week starts Sunday)."""
    days_since_sunday = (local.weekday() + 1) % 7
    return datetime.combine(local.date() - timedelta(days=days_since_sunday), time())


def _open_from(wall: datetime, intervals: tuple[tuple[int, int], ...]) -> datetime:
    """``wall`` if an interval covers it, else the next interval's start (naive wall-clock times)."""
    week = _sunday_midnight(wall)
    minute = (wall - week) // timedelta(minutes=1)
    if any(start <= minute < end for start, end in intervals):
        return wall
    later = [start for start, _end in intervals if start > minute]
    return week + (timedelta(minutes=later[0]) if later else timedelta(weeks=1, minutes=intervals[0][0]))


_MAX_CLOSED_DAYS = 400  # holidays back to back for longer than this: give up, keep calendar hours


def roll_forward(due: datetime, schedule: Schedule) -> datetime:
    """``due`` itself if the team is open then, else the schedule's next opening (UTC-aware)."""
    if due.tzinfo is None:
        raise ValueError("due must carry a UTC offset")
    if not schedule.intervals:
        return due  # a schedule that never opens cannot be waited for
    tz = zone(schedule.time_zone)
    asked = wall = due.astimezone(tz).replace(tzinfo=None)
    for _ in range(_MAX_CLOSED_DAYS):
        opening = _open_from(wall, schedule.intervals)
        if not schedule.closed_on(opening.date()):
            return due if opening == asked else opening.replace(tzinfo=tz).astimezone(due.tzinfo)
        wall = datetime.combine(opening.date() + timedelta(days=1), time())  # a holiday: from the next day
    return due


class _IntervalSchema(Schema):
    """Zendesk no longer lets an interval span days, but older schedules may: read them as they are."""
    start_time = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=WEEK_MINUTES))
    end_time = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=WEEK_MINUTES))

    @validates_schema(skip_on_field_errors=True)
    def _ends_after_start(self, data: Mapping[str, int], **kwargs: object) -> None:
        if data["end_time"] <= data["start_time"]:
            raise ValidationError("an interval ends after it starts", "end_time")


class _HolidaySchema(Schema):
    class Meta:
        unknown = "exclude"

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)

    @validates_schema(skip_on_field_errors=True)
    def _in_order(self, data: Mapping[str, date], **kwargs: object) -> None:
        if data["end_date"] < data["start_date"]:
            raise ValidationError("a holiday ends on or after its first day", "end_date")


class ScheduleSchema(Schema):
    """One Zendesk schedule object (only what is used; the rest of the object is ignored)."""
    time_zone = fields.String(required=True)
    intervals = fields.List(fields.Nested(_IntervalSchema), required=True)
    holidays = fields.List(fields.Nested(_HolidaySchema), load_default=list)  # the schedule's holidays endpoint

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
        holidays = sorted((h["start_date"], h["end_date"]) for h in data["holidays"])
        return Schedule(time_zone=data["time_zone"], intervals=tuple(intervals), holidays=tuple(holidays))


def as_cached(schedule: Schedule) -> dict[str, Any]:
    """The schedule as stored (Zendesk's own shape, so ``ScheduleSchema`` reads it back)."""
    return {"time_zone": schedule.time_zone,
            "intervals": [{"start_time": s, "end_time": e} for s, e in schedule.intervals],
            "holidays": [{"start_date": first.isoformat(), "end_date": last.isoformat()}
                         for first, last in schedule.holidays]}
