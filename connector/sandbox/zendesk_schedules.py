"""The stand-in's business-hours schedules: ``GET /api/v2/business_hours/schedules.json`` and
``GET /api/v2/business_hours/schedules/{id}/holidays.json`` (``id``, ``name``, ``start_date``,
``end_date``; 404 for an unknown schedule).

The real endpoint lists the account's schedules (the first is the default), each with
``id``, ``name``, ``time_zone`` (a Rails zone name such as ``"Eastern Time (US & Canada)"``),
``intervals`` (``start_time``/``end_time`` in minutes since Sunday 00:00, never spanning a
day) and timestamps; an account with none answers ``{"schedules": []}``. Only agents and
admins may read them. Seeding refuses what Zendesk would refuse (a bad interval or zone).
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, jsonify

DAY_MINUTES, WEEK_MINUTES = 24 * 60, 7 * 24 * 60
# A few of the Rails zone names Zendesk offers (the stand-in knows no more; IANA names also pass).
_RAILS_NAMES = {"UTC", "London", "Paris", "Berlin", "Madrid", "Eastern Time (US & Canada)",
                "Central Time (US & Canada)", "Pacific Time (US & Canada)", "Tokyo", "Sydney"}


def _known_zone(name: str) -> None:
    if name in _RAILS_NAMES:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None

MON_FRI_9_TO_17 = tuple((day * DAY_MINUTES + 9 * 60, day * DAY_MINUTES + 17 * 60) for day in range(1, 6))


def add_schedule(state, name: str, time_zone: str, intervals=MON_FRI_9_TO_17) -> dict:
    """Seed a schedule as an admin would create it in Zendesk; returns it as the API lists it."""
    _known_zone(time_zone)  # Zendesk refuses an unknown zone (422)
    for start, end in intervals:
        if not (0 <= start < end <= WEEK_MINUTES) or start // DAY_MINUTES != (end - 1) // DAY_MINUTES:
            raise ValueError(f"interval {start}-{end} must end after it starts, within one day")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with state.lock:
        schedule = {"id": state.next_id(), "name": name, "time_zone": time_zone,
                    "intervals": [{"start_time": s, "end_time": e} for s, e in sorted(intervals)],
                    "created_at": stamp, "updated_at": stamp}
        state.schedules.append(schedule)
        state.holidays[schedule["id"]] = []
        return schedule


def add_holiday(state, schedule_id: int, name: str, start_date: str, end_date: str) -> dict:
    """Seed a holiday (ISO dates, inclusive); Zendesk refuses an end before the start."""
    if date.fromisoformat(end_date) < date.fromisoformat(start_date):
        raise ValueError("a holiday ends on or after its start date")
    with state.lock:
        holiday = {"id": state.next_id(), "name": name, "start_date": start_date, "end_date": end_date}
        state.holidays[schedule_id].append(holiday)
        return holiday


def install_schedules(app: Flask, state) -> None:
    @app.get("/api/v2/business_hours/schedules.json")
    @app.get("/api/v2/business_hours/schedules")
    def list_schedules():
        with state.lock:
            return jsonify({"schedules": [dict(s) for s in state.schedules]})

    @app.get("/api/v2/business_hours/schedules/<int:schedule_id>/holidays.json")
    @app.get("/api/v2/business_hours/schedules/<int:schedule_id>/holidays")
    def list_holidays(schedule_id: int):
        with state.lock:
            if schedule_id not in state.holidays:
                return jsonify({"error": "RecordNotFound", "description": "Not found"}), 404
            return jsonify({"holidays": [dict(h) for h in state.holidays[schedule_id]]})
