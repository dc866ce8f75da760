"""Call stages on the Zendesk account's business hours: a due time outside the schedule rolls
forward to its next opening, in the schedule's own time zone (DST included)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from connector.domain.business_hours import Schedule, ScheduleSchema, as_cached, roll_forward
from connector.domain.react import load_protocol, plan

UTC = timezone.utc
DAY = 24 * 60
WEEKDAYS_9_TO_17 = tuple((d * DAY + 9 * 60, d * DAY + 17 * 60) for d in range(1, 6))  # Monday..Friday
PARIS = Schedule("Paris", WEEKDAYS_9_TO_17)
NEW_YORK = Schedule("Eastern Time (US & Canada)", WEEKDAYS_9_TO_17)
SPLIT = Schedule("Europe/Paris", tuple(i for d in range(1, 6) for i in (
    (d * DAY + 9 * 60, d * DAY + 12 * 60), (d * DAY + 14 * 60, d * DAY + 18 * 60))))
SUNDAY_HOUR = Schedule("UTC", ((0, 60),))
CHRISTMAS = Schedule("Paris", WEEKDAYS_9_TO_17, ((date(2026, 12, 25), date(2026, 12, 25)),))
NEW_YEAR_WEEK = Schedule("Paris", WEEKDAYS_9_TO_17, ((date(2026, 12, 31), date(2027, 1, 2)),))
ALWAYS_OPEN_BUT_HOLIDAY = Schedule("Paris", tuple((d * DAY, (d + 1) * DAY) for d in range(7)),
                                   ((date(2026, 12, 25), date(2026, 12, 25)),))
ONLY_HOLIDAYS = Schedule("UTC", WEEKDAYS_9_TO_17, ((date(2026, 1, 1), date(2028, 12, 31)),))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("schedule, due, expected", [
    # 2026-11-28 is a Saturday; Paris is UTC+1 in winter.
    (PARIS, utc(2026, 11, 28, 18, 0), utc(2026, 11, 30, 8, 0)),   # Saturday 19:00 -> Monday 09:00
    (PARIS, utc(2026, 11, 29, 10, 0), utc(2026, 11, 30, 8, 0)),   # Sunday -> Monday 09:00
    (PARIS, utc(2026, 12, 1, 9, 0), utc(2026, 12, 1, 9, 0)),      # Tuesday 10:00: open, unchanged
    (PARIS, utc(2026, 12, 1, 8, 0), utc(2026, 12, 1, 8, 0)),      # Tuesday 09:00 sharp: open
    (PARIS, utc(2026, 12, 1, 16, 0), utc(2026, 12, 2, 8, 0)),     # Tuesday 17:00 sharp: closed
    (PARIS, utc(2026, 12, 1, 17, 30), utc(2026, 12, 2, 8, 0)),    # Tuesday evening -> Wednesday 09:00
    (PARIS, utc(2026, 12, 2, 6, 0), utc(2026, 12, 2, 8, 0)),      # Wednesday 07:00 -> 09:00 the same day
    (PARIS, utc(2026, 12, 4, 22, 30), utc(2026, 12, 7, 8, 0)),    # Friday 23:30 -> Monday
    (PARIS, utc(2026, 12, 4, 23, 30), utc(2026, 12, 7, 8, 0)),    # Saturday 00:30 local, Friday in UTC
    (NEW_YORK, utc(2026, 11, 28, 18, 0), utc(2026, 11, 30, 14, 0)),  # New York is UTC-5 in winter
    (NEW_YORK, utc(2026, 12, 1, 3, 0), utc(2026, 12, 1, 14, 0)),     # Tuesday 03:00 UTC: Monday 22:00 there
    # Daylight saving ends in Paris on Sunday 2026-10-25: Monday 09:00 is 08:00 UTC, not 07:00.
    (PARIS, utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 8, 0)),
    # ... and starts on Sunday 2026-03-29: Monday 09:00 is 07:00 UTC.
    (PARIS, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 7, 0)),
    (SPLIT, utc(2026, 12, 1, 11, 30), utc(2026, 12, 1, 13, 0)),   # lunch break -> 14:00
    (SUNDAY_HOUR, utc(2026, 11, 30, 12, 0), utc(2026, 12, 6, 0, 0)),  # wraps to next week's Sunday
    (Schedule("UTC", ()), utc(2026, 11, 28, 18, 0), utc(2026, 11, 28, 18, 0)),  # never open: calendar
    # Holidays (whole local days, inclusive): Christmas on Friday 2026-12-25.
    (CHRISTMAS, utc(2026, 12, 24, 17, 0), utc(2026, 12, 28, 8, 0)),   # Thursday 18:00 -> Monday
    (CHRISTMAS, utc(2026, 12, 25, 10, 0), utc(2026, 12, 28, 8, 0)),   # during the holiday itself
    (CHRISTMAS, utc(2026, 12, 24, 10, 0), utc(2026, 12, 24, 10, 0)),  # the day before: open
    (NEW_YEAR_WEEK, utc(2026, 12, 31, 12, 0), utc(2027, 1, 4, 8, 0)),  # several days, into the new year
    (ALWAYS_OPEN_BUT_HOLIDAY, utc(2026, 12, 25, 12, 0), utc(2026, 12, 25, 23, 0)),  # the next day's midnight
    (ONLY_HOLIDAYS, utc(2026, 12, 1, 12, 0), utc(2026, 12, 1, 12, 0)),  # never open in reach: calendar
])
def test_a_due_time_outside_the_schedule_rolls_to_its_next_opening(schedule, due, expected):
    assert roll_forward(due, schedule) == expected


def test_a_naive_due_time_is_refused():
    with pytest.raises(ValueError):
        roll_forward(datetime(2026, 11, 28, 18, 0), PARIS)


ZENDESK_SCHEDULE = {"id": 1, "name": "Support", "time_zone": "Paris", "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-01T00:00:00Z",
                    "intervals": [{"start_time": s, "end_time": e} for s, e in reversed(WEEKDAYS_9_TO_17)]}


def test_zendesks_schedule_object_is_read_and_cached_in_its_own_shape():
    schedule = ScheduleSchema().load(ZENDESK_SCHEDULE)
    assert schedule == PARIS  # intervals sorted
    assert ScheduleSchema().load(as_cached(schedule)) == schedule
    holidays = [{"id": 3, "name": "Noël", "start_date": "2026-12-25", "end_date": "2026-12-25"}]
    with_holidays = ScheduleSchema().load({**ZENDESK_SCHEDULE, "holidays": holidays})
    assert with_holidays == CHRISTMAS and ScheduleSchema().load(as_cached(with_holidays)) == CHRISTMAS


def test_an_older_interval_spanning_days_is_read_as_it_is():
    spanning = ScheduleSchema().load({**ZENDESK_SCHEDULE, "intervals": [{"start_time": 1980, "end_time": 3900}]})
    assert roll_forward(utc(2026, 12, 1, 2, 0), spanning) == utc(2026, 12, 1, 2, 0)  # Tuesday 03:00: open


@pytest.mark.parametrize("change, field", [
    ({"time_zone": "Middle Earth"}, "time_zone"),
    ({"holidays": [{"start_date": "2026-12-26", "end_date": "2026-12-25"}]}, "holidays"),
    ({"holidays": [{"start_date": "Christmas", "end_date": "2026-12-25"}]}, "holidays"),
    ({"intervals": [{"start_time": 600, "end_time": 600}]}, "intervals"),
    ({"intervals": [{"start_time": -1, "end_time": 60}]}, "intervals"),
    ({"intervals": None}, "intervals"),
])
def test_a_schedule_zendesk_would_not_give_is_refused(change, field):
    with pytest.raises(ValidationError) as err:
        ScheduleSchema().load({**ZENDESK_SCHEDULE, **change})
    assert field in err.value.messages


def test_only_the_call_stages_follow_the_schedule_and_recognition_never_does():
    friday_evening = utc(2026, 11, 27, 18, 0)  # Friday 19:00 in Paris
    due = {stage.key: at for stage, at in plan(load_protocol(), friday_evening, PARIS)}
    assert due["empathy"] == utc(2026, 11, 30, 8, 0)          # Saturday 19:00 -> Monday 09:00
    assert due["tracking_d14"] == utc(2026, 12, 14, 8, 0)     # a Friday 19:00 -> Monday 09:00
    assert due["recognition"] == friday_evening + timedelta(hours=6)   # calendar hours, always
    assert due["action"] == friday_evening + timedelta(hours=36)       # not a call
    assert due["tracking_d30"] == friday_evening + timedelta(days=30)
    assert plan(load_protocol(), friday_evening) == plan(load_protocol(), friday_evening, None)


def test_recognition_stays_on_calendar_hours_even_as_a_call(tmp_path):
    import dataclasses

    protocol = load_protocol()
    as_call = dataclasses.replace(protocol, stages=tuple(
        dataclasses.replace(s, task_type="CALL") if s.key == "recognition" else s for s in protocol))
    friday_evening = utc(2026, 11, 27, 18, 0)
    [(recognition, due), *_] = plan(as_call, friday_evening, PARIS)
    assert recognition.task_type == "CALL" and due == friday_evening + timedelta(hours=6)
