"""The Zendesk business-hours schedule: read through the Schedules API (``responses``), cached
by the periodic refresh, and never asked for again before the refresh interval."""
from datetime import timedelta

import pytest
import responses

from connector.cases.business_hours import refresh_schedules
from connector.domain.business_hours import Schedule
from connector.ports.errors import PermanentError, RetryableError
from connector.providers.zendesk import ZendeskAdapter
from connector.store.db import reading
from connector.store.schedules import cached_schedule, fetched_at

SCHEDULES = "https://acme.zendesk.com/api/v2/business_hours/schedules.json"
CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.example", "ZENDESK_API_TOKEN": "t"}
PARIS = {"id": 7, "name": "Paris", "time_zone": "Paris", "created_at": "2026-01-01T00:00:00Z",
         "updated_at": "2026-01-01T00:00:00Z", "intervals": [{"start_time": 1980, "end_time": 2460}]}
LONDON = {**PARIS, "id": 8, "name": "London", "time_zone": "London"}


@pytest.fixture
def adapter(mapping):
    return ZendeskAdapter.from_config(CONFIG, mapping)


NOEL = {"id": 3, "name": "Noël", "start_date": "2026-12-25", "end_date": "2026-12-25"}


@responses.activate
def test_the_default_schedule_is_the_first_listed_with_its_holidays(adapter):
    responses.get(SCHEDULES, json={"schedules": [PARIS, LONDON]})
    responses.get("https://acme.zendesk.com/api/v2/business_hours/schedules/7/holidays.json",
                  json={"holidays": [NOEL]})
    assert adapter.business_hours_schedule() == {**PARIS, "holidays": [NOEL]}
    assert all(call.request.headers["Authorization"].startswith("Basic ") for call in responses.calls)


@responses.activate
def test_an_account_without_a_schedule_has_none(adapter):
    responses.get(SCHEDULES, json={"schedules": []})
    assert adapter.business_hours_schedule() is None


@pytest.mark.parametrize("status, error", [(403, PermanentError), (500, RetryableError), (429, RetryableError)])
@responses.activate
def test_errors_are_translated(adapter, status, error):
    responses.get(SCHEDULES, json={"error": "Forbidden"}, status=status, headers={"Retry-After": "5"})
    with pytest.raises(error):
        adapter.business_hours_schedule()


class Answers:
    """What the fake Zendesk answers, in turn; counts the calls."""

    def __init__(self, *results):
        self.results, self.calls = list(results), 0

    def __call__(self):
        self.calls += 1
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def cached(rt):
    with reading(rt.sessions) as session:
        return cached_schedule(session, "default"), fetched_at(session, "default")


def test_the_refresh_caches_the_schedule_and_waits_its_interval(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    rt.config.update(CALLS_ON_BUSINESS_HOURS=True, BUSINESS_HOURS_REFRESH_SECONDS=3600)
    fake_zendesk.business_hours_schedule = answers = Answers(
        PARIS, RetryableError("busy"), LONDON, PermanentError("no permission"), None)
    start = rt.clock()

    assert refresh_schedules(rt, rt.clock()) == 1
    assert cached(rt) == (Schedule("Paris", ((1980, 2460),)), start)
    assert refresh_schedules(rt, rt.clock() + timedelta(minutes=59)) == 0 and answers.calls == 1

    later = start + timedelta(hours=1)
    assert refresh_schedules(rt, later) == 0 and answers.calls == 2       # temporary failure: copy kept
    assert cached(rt) == (Schedule("Paris", ((1980, 2460),)), start)
    assert refresh_schedules(rt, later) == 1 and answers.calls == 3       # the next scan tries again
    assert cached(rt)[0].time_zone == "London"

    again = later + timedelta(hours=1)
    assert refresh_schedules(rt, again) == 0 and answers.calls == 4       # permanent: copy kept, and ...
    assert cached(rt) == (Schedule("London", ((1980, 2460),)), again)
    assert refresh_schedules(rt, again + timedelta(minutes=5)) == 0 and answers.calls == 4  # ... waits
    assert refresh_schedules(rt, again + timedelta(hours=1)) == 1       # the account removed its schedule
    assert cached(rt)[0] is None


def test_nothing_is_fetched_while_the_setting_is_off(frozen_runtime, fake_zendesk):
    fake_zendesk.business_hours_schedule = answers = Answers(PARIS)
    assert refresh_schedules(frozen_runtime, frozen_runtime.clock()) == 0 and answers.calls == 0
