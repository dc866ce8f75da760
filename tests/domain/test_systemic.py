"""When cases with one cause make a systemic issue (pure rule, mappings/causes.json systemic)."""
from datetime import datetime, timedelta, timezone

from connector.domain.causes import SystemicRule, load_cause_rules
from connector.domain.systemic import (
    NOTHING,
    OpenIssue,
    chat_alert,
    decide,
    problem_body,
    problem_external_id,
    systemic_tag,
    tell_customer_task,
)

RULE = SystemicRule(min_cases=3, window_days=7)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
RULES = load_cause_rules()
BILLING = RULES.get("billing")


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_three_cases_within_the_window_open_an_issue_starting_at_the_first():
    decision = decide(day(5), None, [(3, day(5)), (1, day(0)), (2, day(2))], RULE)
    assert decision.open_with == (1, 2, 3) and decision.window_start == day(0)


def test_two_cases_are_not_an_issue():
    assert decide(day(1), None, [(1, day(0)), (2, day(1))], RULE) == NOTHING


def test_cases_further_apart_than_the_window_do_not_count_together():
    assert decide(day(8), None, [(1, day(0)), (2, day(1)), (3, day(8))], RULE) == NOTHING
    assert decide(day(7), None, [(1, day(0)), (2, day(1)), (3, day(7))], RULE) == NOTHING  # 7 days is out
    assert decide(day(6.9), None, [(1, day(0)), (2, day(1)), (3, day(6.9))], RULE).open_with == (1, 2, 3)


def test_a_later_case_joins_the_open_issue_within_its_window_only():
    issue = OpenIssue(9, day(0))
    assert decide(day(6), issue, [(4, day(6))], RULE).join == 9
    assert decide(day(8), issue, [(5, day(8))], RULE) == NOTHING  # alone after the window: nothing
    again = decide(day(10), issue, [(5, day(8)), (6, day(9)), (7, day(10))], RULE)
    assert again.join is None and again.open_with == (5, 6, 7) and again.window_start == day(8)


def test_the_threshold_and_window_are_the_rules():
    rule = SystemicRule(min_cases=2, window_days=1)
    assert decide(day(0.5), None, [(1, day(0)), (2, day(0.5))], rule).open_with == (1, 2)


def test_names_are_the_contract():
    assert problem_external_id(12) == "recovery-systemic-12"
    assert systemic_tag("billing") == "systemic_billing"


def test_the_problem_and_the_alert_say_nothing_a_customer_wrote():
    body = problem_body(BILLING, 4, {10: 1001, 11: 1002, 12: 1003}, RULE, T0)
    assert "Recovery ticket #1001 (case 10)" in body and "Recovery ticket #1003 (case 12)" in body
    assert "Billing and invoices" in body and "Billing." in body and "problem_id" not in body
    alert = chat_alert(BILLING, 4, 3, RULE, "https://acme.zendesk.com/agent/tickets/7")
    assert alert == ('Systemic issue #4 for Billing: 3 detractors within 7 days gave the same cause, '
                     '"Billing and invoices". Problem ticket: https://acme.zendesk.com/agent/tickets/7')


def test_the_tell_the_customer_task_is_drafted_in_the_customers_language():
    subject, body = tell_customer_task(BILLING, "fr-FR", "Marie", "Jane Doe", RULES.resolved_message)
    assert subject == "Tell Marie what changed (Billing and invoices)" and not subject.startswith("Recovery · ")
    assert "Bonjour Marie," in body and "concernant facturation" in body and "Jane Doe" in body
    _, english = tell_customer_task(BILLING, "de", "Hans", "Jane Doe", RULES.resolved_message)
    assert "Hello Hans," in english and "a problem with billing and invoices" in english
