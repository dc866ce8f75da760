"""The use cases' job registry: every kind they enqueue has a handler, errors are classified by
type, and a dead case job marks its case failed (the queue itself knows none of this)."""
from connector.cases.catalog import build_registry, classify
from connector.cases.kinds import (
    ANSWER_KINDS,
    CASE_KINDS,
    COMPANY_KINDS,
    DIGEST_KINDS,
    INDEX_KINDS,
    SIGNAL_KINDS,
    SYSTEMIC_KINDS,
)
from connector.installs.tokens import NotConnected
from connector.jobs.registry import Verdict
from connector.ports.errors import PermanentError, RetryableError


def test_every_kind_of_the_use_cases_has_exactly_one_handler():
    registry = build_registry(lambda: 15.0)
    assert registry.kinds() == (CASE_KINDS | ANSWER_KINDS | SIGNAL_KINDS | DIGEST_KINDS | INDEX_KINDS | SYSTEMIC_KINDS
                                | COMPANY_KINDS)
    assert not set(registry.handlers) & set(registry.groups)
    assert [task.name for task in registry.periodic] == ["deadlines", "priority_support", "resurvey",
                                                         "ticket_index", "business_hours", "weekly_digest",
                                                         "delivery-log-retention"]


def test_errors_are_classified_by_type():
    assert classify(RetryableError("503", retry_after=7)).verdict is Verdict.RETRY
    assert classify(RetryableError("503", retry_after=7)).retry_after == 7
    assert classify(PermanentError("400 bad field")).verdict is Verdict.DEAD
    assert classify(NotConnected("uninstalled")).verdict is Verdict.CANCEL
    crash = classify(KeyError("bug"))
    assert crash.verdict is Verdict.RETRY and crash.unexpected and crash.message.startswith("KeyError")


def test_the_scan_interval_is_read_at_each_check():
    interval = {"seconds": 15.0}
    registry = build_registry(lambda: interval["seconds"])
    interval["seconds"] = 60.0
    assert registry.periodic[0].every_seconds() == 60.0
