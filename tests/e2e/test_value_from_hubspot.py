"""The real SDK reads the value from a HubSpot contact or company property."""
import json
import shutil

import pytest

from connector.mappings import DEFAULT_MAPPINGS_DIR
from tests.signing import answer_payload, just_now

pytestmark = pytest.mark.e2e


def mappings_with(tmp_path, source) -> str:
    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    rules = json.loads((folder / "rules.json").read_text())
    rules["lifetime_value_from_hubspot"] = source
    (folder / "rules.json").write_text(json.dumps(rules))
    return str(folder)


@pytest.mark.parametrize("source,seed", [
    ({"object": "contact", "property": "total_revenue"}, "contact"),
    ({"object": "company", "property": "annualrevenue"}, "company"),
])
def test_value_from_hubspot_property(connector_factory, vendors, tmp_path, source, seed):
    hubspot = vendors.hubspot
    contact_id = hubspot.next_id()
    hubspot.contacts[contact_id] = {"id": contact_id, "createdAt": "2026-01-01T00:00:00Z",
                                    "updatedAt": "2026-01-01T00:00:00Z",
                                    "properties": {"hs_object_id": contact_id, "email": "marie@example.com",
                                                   "total_revenue": "52000" if seed == "contact" else ""}}
    if seed == "company":
        hubspot.add_company({"name": "Acme", "annualrevenue": "18000"}, [contact_id])
    connector = connector_factory(MAPPINGS_DIR=mappings_with(tmp_path, source))
    # no competitor in the comment: no churn-risk raise, the priority is the matrix's
    payload = answer_payload(submitted_at=just_now(), customer={"lifetime_value": None},
                             comment="Service catastrophique, personne ne m'a rappelé.")
    case_id = connector.post(payload).json()["case_id"]
    [case] = connector.wait_synced([case_id])
    expected = {"contact": ("critical", "urgent", "claire.martin@example.com"),
                "company": ("high", "high", "sophie.bernard@example.com")}[seed]
    assert (case["value_tier"], case["priority"], case["owner"]) == expected
    ticket = vendors.zendesk.tickets[case["zendesk_ticket_id"]]
    assert ticket["priority"] == expected[1]
    assert vendors.zendesk.users[ticket["assignee_id"]]["email"] == expected[2]
