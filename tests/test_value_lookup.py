"""Lifetime value from a configured HubSpot property when the payload has none."""
import dataclasses

import pytest
from sqlalchemy import select

from connector.store.db import transaction
from connector.store.models import Case, Job
from tests.conftest import drain, plan
from tests.test_worker import accept

SOURCE = {"object": "contact", "property": "total_revenue"}


@pytest.fixture
def looking_up(frozen_runtime):
    frozen_runtime.policies = dataclasses.replace(
        frozen_runtime.policies, rules={**frozen_runtime.policies.rules, "lifetime_value_from_hubspot": SOURCE})
    return frozen_runtime


def case_row(rt, case_id) -> Case:
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id)


def first_jobs(rt) -> list[str]:
    with transaction(rt.sessions) as session:
        return list(session.scalars(select(Job.kind).order_by(Job.id)))


def test_value_found_in_hubspot_sets_tier_priority_and_owner_before_any_sync(looking_up, fake_hubspot, fake_zendesk):
    fake_hubspot.values["marie@example.com"] = 52_000
    case_id = accept(looking_up, customer={"lifetime_value": None})["case_id"]
    plan(looking_up)
    assert "hubspot.lifetime_value" in first_jobs(looking_up)
    assert "zendesk.sync_case" not in first_jobs(looking_up)  # nothing leaves before the value is known
    drain(looking_up)
    case = case_row(looking_up, case_id)
    assert (case.lifetime_value, case.value_tier, case.priority) == (52_000, "critical", "urgent")
    assert case.owner == "claire.martin@example.com"
    assert fake_zendesk.tickets[1]["priority"] == "urgent" and case.sync_status == "synced"


@pytest.mark.parametrize("comment,expected", [
    ("Service catastrophique.", "high"),                                    # the matrix: high x critical
    ("Service catastrophique, je cherche déjà un autre fournisseur.", "urgent"),  # churn risk: one level up
])
def test_a_value_found_later_keeps_the_churn_risk_raise(looking_up, fake_hubspot, fake_zendesk, comment, expected):
    fake_hubspot.values["marie@example.com"] = 18_000
    case_id = accept(looking_up, comment=comment, customer={"lifetime_value": None})["case_id"]
    drain(looking_up)
    case = case_row(looking_up, case_id)
    assert (case.value_tier, case.churn_risk, case.priority) == ("high", expected == "urgent", expected)
    assert fake_zendesk.tickets[1]["priority"] == expected


def test_no_value_in_hubspot_keeps_the_standard_tier(looking_up, fake_zendesk):
    case_id = accept(looking_up, customer={"lifetime_value": None})["case_id"]
    drain(looking_up)
    case = case_row(looking_up, case_id)
    # standard value x critical severity = high, one level up: the comment names another supplier (churn risk)
    assert (case.value_tier, case.priority, case.owner) == ("standard", "urgent", "julien.petit@example.com")
    assert case.sync_status == "synced"


def test_a_value_in_the_payload_needs_no_lookup(looking_up):
    accept(looking_up)
    assert "hubspot.lifetime_value" not in first_jobs(looking_up)


def test_without_the_setting_nothing_is_looked_up(frozen_runtime):
    accept(frozen_runtime, customer={"lifetime_value": None})
    assert "hubspot.lifetime_value" not in first_jobs(frozen_runtime)
