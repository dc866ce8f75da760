"""The holdout end to end with the Zendesk and HubSpot stand-ins (real SDKs): a held-out case's
ticket note plans two stages and HubSpot gets its two tasks only, no call; a critical-value
customer is never held out, whatever the share."""
import pytest

from tests.e2e.test_protocol_data import open_case, tasks_by_key
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e


def test_held_out_case_gets_recognition_and_resurvey_tasks_only(connector_factory, vendors):
    connector = connector_factory(HOLDOUT_SHARE=1.0)
    held = open_case(connector, answer_payload(response_id="held", customer={"email": "held@example.com",
                                                                             "lifetime_value": 500}))
    critical = open_case(connector, answer_payload(response_id="crit", customer={"email": "crit@example.com",
                                                                                 "lifetime_value": 50000}))
    assert held["holdout"] is True and critical["holdout"] is False
    assert set(tasks_by_key(vendors, held["id"], "held@example.com")) == {"recognition", "resurvey_d60"}
    assert {t["hs_task_type"] for t in tasks_by_key(vendors, held["id"], "held@example.com").values()} <= {"EMAIL", "TODO"}
    assert len(tasks_by_key(vendors, critical["id"], "crit@example.com")) == 8
    note = vendors.zendesk.comments[held["zendesk_ticket_id"]][0]["body"]
    plan = note.split("Plan (REACT protocol):")[1].split("Acknowledgement draft")[0]
    assert ". Recognition due " in plan and ". Re-survey (day 60) due " in plan and "Empathy call" not in plan
