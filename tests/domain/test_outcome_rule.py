"""Which later answer closes a case (SPEC "Outcome"), as a table: own survey type from the
closing window on, or the re-survey's answer; everything else is interim."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.domain.outcome import REOPENING, closes_case, outcome
from connector.domain.rules import load_rules

OPENED = datetime(2026, 11, 20, 15, 37, tzinfo=timezone.utc)
WINDOWS = {"nps": 30, "csat": 7}


@pytest.mark.parametrize("case_type, answer_type, days, resurvey, closes", [
    ("nps", "nps", 35, False, True),
    ("nps", "nps", 30, False, True),        # the window opens at day 30 exactly
    ("nps", "nps", 29.99, False, False),
    ("nps", "nps", 12, False, False),
    ("nps", "csat", 45, False, False),      # the other type never closes
    ("csat", "csat", 8, False, True),
    ("csat", "csat", 7, False, True),
    ("csat", "csat", 6, False, False),
    ("csat", "nps", 40, False, False),
    ("nps", "nps", 5, True, True),          # the re-survey's answer closes whenever it comes
    ("nps", "csat", 5, True, True),
])
def test_closing_rule(case_type, answer_type, days, resurvey, closes):
    answered = OPENED + timedelta(days=days)
    assert closes_case(case_type, OPENED, answer_type, answered, WINDOWS, answers_resurvey=resurvey) is closes


@pytest.mark.parametrize("before, after, category, result", [
    (3, 9, "promoter", "promoter"), (3, 7, "passive", "passive"), (3, 5, "detractor", "partial"),
    (3, 3, "detractor", "failed"), (5, 2, "detractor", "failed"),
])
def test_outcomes_and_which_open_a_linked_case(before, after, category, result):
    assert outcome("nps", before, "nps", after, category) == result
    assert (result in REOPENING) is (category == "detractor")


def test_the_windows_are_data_with_the_specs_defaults(tmp_path):
    assert load_rules()["closing_window_days"] == {"nps": 30, "csat": 7}
