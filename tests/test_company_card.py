"""The HubSpot company card (issue 12, item 4): v3-signed like the contact card, the account's open
incidents with contact, stage, owner and next due, its 12-month NPS and trend; the contact card
now also shows the recovery owner, the score and the customer's comment."""
import time
from datetime import datetime, timezone

import pytest

from connector.inbound.crm_signatures import sign_hubspot_v3
from connector.store.db import transaction
from connector.store.models import ContactCompany
from tests.signing import HUBSPOT_CLIENT_SECRET
from tests.ui_support import open_case

COMPANY = "9001"


@pytest.fixture
def ui(runtime):
    from connector.web.app import create_app
    return create_app(runtime.config, runtime=runtime).test_client()


def signed(ui, path: str, secret: str = HUBSPOT_CLIENT_SECRET):
    stamp = str(int(time.time() * 1000))
    url = f"http://localhost{path}"
    return ui.get(url, headers={"X-HubSpot-Request-Timestamp": stamp,
                                "X-HubSpot-Signature-v3": sign_hubspot_v3(secret, "GET", url, b"", stamp)})


def in_company(runtime, *emails: str) -> None:
    with transaction(runtime.sessions) as session:
        for email in emails:
            session.add(ContactCompany(tenant_id="default", customer_email=email, company_id=COMPANY,
                                       found_at=datetime.now(timezone.utc)))


def test_the_company_card_lists_the_accounts_open_incidents_and_its_nps(ui, runtime):
    first = open_case(runtime, ui)
    second = open_case(runtime, ui, email="paul@example.com", response_id="srv-ui-2", contact_id="502")
    in_company(runtime, "marie@example.com", "paul@example.com")
    card = signed(ui, f"/hubspot/company-card?associatedObjectId={COMPANY}&portalId=42")
    assert card.status_code == 200
    body = card.get_json()
    assert body["open_incidents"] == 2 and body["nps_account_score"] == -100
    assert {i["case_id"] for i in body["incidents"]} == {first, second}
    marie = next(i for i in body["incidents"] if i["case_id"] == first)
    assert marie["contact"] == "Marie Dubois" and marie["stage_label"] == "Recognition"
    assert marie["owner"] and marie["next_due_at"] and marie["zendesk_ticket_url"].endswith("/9001")
    assert [p["nps"] for p in body["trend"]][-1] == -100 and len(body["trend"]) == 4
    assert len(body["results"]) == 2
    # another company, or none: an empty card, never someone else's cases
    assert signed(ui, "/hubspot/company-card?associatedObjectId=777").get_json()["open_incidents"] == 0


def test_the_company_card_needs_hubspots_signature(ui, runtime):
    path = f"/hubspot/company-card?associatedObjectId={COMPANY}"
    assert signed(ui, path, secret="wrong").status_code == 401
    assert ui.get(path).status_code == 401


def test_the_contact_card_shows_owner_score_and_comment(ui, runtime):
    open_case(runtime, ui)
    body = signed(ui, "/hubspot/card?associatedObjectId=501").get_json()
    assert body["owner"] and body["score"] == 3 and "catastrophique" in body["comment"]
    labels = {p["label"]: p["value"] for p in body["results"][0]["properties"]}
    assert labels["Score"] == 3 and labels["Owner"] == body["owner"]


def test_the_company_card_preview_is_for_admins(ui, runtime):
    from tests.conftest import ADMIN_TOKEN
    open_case(runtime, ui)
    in_company(runtime, "marie@example.com")
    assert ui.get(f"/hubspot/company-card/preview?company_id={COMPANY}").status_code == 401
    ui.post("/dashboard/login", data={"token": ADMIN_TOKEN})
    page = ui.get(f"/hubspot/company-card/preview?company_id={COMPANY}")
    assert page.status_code == 200 and "Marie Dubois" in page.text and 'id="company-open">1<' in page.text


def test_erasure_forgets_the_persons_company_row(ui, runtime):
    from sqlalchemy import select

    from connector.cases.privacy import erase_contact
    open_case(runtime, ui)
    in_company(runtime, "marie@example.com", "paul@example.com")
    with transaction(runtime.sessions) as session:
        erase_contact(session, "501", datetime.now(timezone.utc))
    with transaction(runtime.sessions) as session:
        left = session.scalars(select(ContactCompany.customer_email)).all()
    assert left == ["paul@example.com"]
