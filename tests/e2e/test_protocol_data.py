"""Stages as data, end to end with the stand-ins: an admin's offsets and task types reach the
stage due times and the HubSpot tasks; with CALLS_ON_BUSINESS_HOURS the call stages follow the
Zendesk schedule (fetched by the worker, cached), so a Friday-evening answer's call is due Monday."""
import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connector.mappings import DEFAULT_MAPPINGS_DIR
from connector.ports.keys import TASK_KEY_PATTERN
from connector.sandbox.zendesk_schedules import MON_FRI_9_TO_17, add_holiday, add_schedule
from connector.store.db import reading
from connector.store.models import BusinessHours
from tests.e2e.conftest import wait_until
from tests.e2e.test_end_to_end import parse_hubspot_time
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e
EMAIL = "marie@example.com"


def tasks_by_key(vendors, case_id, email=EMAIL):
    """{stage key: task properties}: each task's body carries its case's stage key."""
    found = {}
    for task in vendors.tasks_of(email):
        for match in TASK_KEY_PATTERN.finditer(task["properties"].get("hs_task_body", "")):
            if int(match.group(1)) == case_id:
                found[match.group(2)] = task["properties"]
    return found


def open_case(connector, payload):
    response = connector.post(payload, msg_id=payload["response_id"])
    assert response.status_code == 202, response.text
    [case] = connector.wait_synced([response.json()["case_id"]], timeout=15)
    return case


def due_of(case):
    return {s["key"]: datetime.fromisoformat(s["due_at"].replace("Z", "+00:00")) for s in case["stages"]}


def test_an_admins_offsets_and_task_types_reach_the_stages_and_the_hubspot_tasks(
        connector_factory, vendors, tmp_path):
    mappings = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, mappings)
    protocol = json.loads((mappings / "protocol.json").read_text())
    protocol["stages"][1].update(offset={"hours": 12}, task_type="EMAIL", title="Personal email")
    protocol["stages"][4].update(offset={"days": 5}, task_type="CALL", ask="Call with a progress update.")
    (mappings / "protocol.json").write_text(json.dumps(protocol))
    connector = connector_factory(MAPPINGS_DIR=str(mappings))

    submitted = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    case = open_case(connector, answer_payload(submitted_at=submitted.isoformat()))
    due = due_of(case)
    assert due["empathy"] - submitted == timedelta(hours=12)
    assert due["tracking_d7"] - submitted == timedelta(days=5)
    assert due["tracking_d14"] - submitted == timedelta(days=14)

    tasks = wait_until(lambda: len(found := tasks_by_key(vendors, case["id"])) == 8 and found)
    assert tasks["empathy"]["hs_task_type"] == "EMAIL" and "Personal email" in tasks["empathy"]["hs_task_subject"]
    assert tasks["tracking_d7"]["hs_task_type"] == "CALL"
    assert "Call with a progress update." in tasks["tracking_d7"]["hs_task_body"]
    assert parse_hubspot_time(tasks["empathy"]["hs_timestamp"]) == submitted + timedelta(hours=12)
    assert parse_hubspot_time(tasks["tracking_d7"]["hs_timestamp"]) == submitted + timedelta(days=5)


def _cached(connector):
    with reading(connector.runtime.sessions) as session:
        return session.scalars(select(BusinessHours)).all()


FRIDAY_EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=timezone(timedelta(hours=1)))  # 19:00 in Paris


def test_a_friday_evening_answers_calls_are_due_monday_morning_on_business_hours(connector_factory, vendors):
    schedule = add_schedule(vendors.zendesk, "Support Paris", "Paris", MON_FRI_9_TO_17)
    add_holiday(vendors.zendesk, schedule["id"], "Fermeture", "2026-12-14", "2026-12-14")
    connector = connector_factory(CALLS_ON_BUSINESS_HOURS=True)
    [row] = wait_until(lambda: _cached(connector))  # the worker fetched and cached the schedule
    assert row.tenant_id == "default" and row.schedule["time_zone"] == "Paris"
    assert row.schedule["holidays"] == [{"start_date": "2026-12-14", "end_date": "2026-12-14"}]

    case = open_case(connector, answer_payload(submitted_at=FRIDAY_EVENING.isoformat()))
    due = due_of(case)
    monday_nine = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)  # 09:00 in Paris
    assert due["empathy"] == monday_nine                                # Saturday 19:00 on the calendar
    assert due["tracking_d14"] == datetime(2026, 12, 15, 8, 0, tzinfo=timezone.utc)  # Monday is a holiday
    assert due["recognition"] == FRIDAY_EVENING + timedelta(hours=6)   # calendar hours, always
    assert due["tracking_d7"] == FRIDAY_EVENING + timedelta(days=7)     # an e-mail: calendar
    tasks = wait_until(lambda: len(found := tasks_by_key(vendors, case["id"])) == 8 and found)
    assert parse_hubspot_time(tasks["empathy"]["hs_timestamp"]) == monday_nine


def test_calls_stay_on_calendar_hours_without_a_schedule_or_the_setting(connector_factory, vendors):
    connector = connector_factory(CALLS_ON_BUSINESS_HOURS=True)  # the account has no schedule
    [row] = wait_until(lambda: _cached(connector))
    assert row.schedule is None
    case = open_case(connector, answer_payload(submitted_at=FRIDAY_EVENING.isoformat()))
    assert due_of(case)["empathy"] == FRIDAY_EVENING + timedelta(hours=24)

    add_schedule(vendors.zendesk, "Support Paris", "Paris", MON_FRI_9_TO_17)
    off = connector_factory()  # setting off: nothing fetched, calendar hours
    case = open_case(off, answer_payload(response_id="srv-off", submitted_at=FRIDAY_EVENING.isoformat(),
                                         customer={"email": "paul@example.com"}))
    assert due_of(case)["empathy"] == FRIDAY_EVENING + timedelta(hours=24)
