"""The company card's data page and the contact card (owner, score, comment) in a real browser."""
from datetime import datetime, timezone

import pytest

from connector.store.db import transaction
from connector.store.models import Answer, ContactCompany
from tests.browser.conftest import shot
from tests.browser.test_screens import login
from tests.ui_support import open_case

pytestmark = pytest.mark.browser


def test_company_card_page_lists_the_accounts_incidents(page, live):
    open_case(live.runtime, live.client)
    open_case(live.runtime, live.client, email="paul@example.com", response_id="srv-ui-2", contact_id="502",
              ticket_id=9002)
    with transaction(live.runtime.sessions) as session:
        session.query(Answer).filter_by(customer_email="paul@example.com").update({"customer_name": "Paul Durand"})
        for email in ("marie@example.com", "paul@example.com"):
            session.add(ContactCompany(tenant_id="default", customer_email=email, company_id="9001",
                                       found_at=datetime.now(timezone.utc)))
    login(page, live, "/hubspot/company-card/preview")
    page.fill("input[name=company_id]", "9001")
    page.click("text=Show")
    page.wait_for_selector("#company-incidents")
    assert page.inner_text("#company-open") == "2"
    assert page.inner_text("#company-nps") == "-100"
    rows = page.locator("#company-incidents tbody tr")
    assert rows.count() == 2 and "Recognition" in rows.first.inner_text()
    assert {rows.nth(i).locator("td").first.inner_text() for i in range(2)} == {"Marie Dubois", "Paul Durand"}
    shot(page, "company-card")


def test_contact_card_shows_owner_score_and_comment(page, live):
    open_case(live.runtime, live.client)
    login(page, live, "/hubspot/card/preview")
    page.fill("input[name=email]", "marie@example.com")
    page.click("text=Show")
    page.wait_for_selector("#incident")
    assert page.inner_text("#card-score") == "3" and page.inner_text("#card-owner") != "—"
    assert "catastrophique" in page.inner_text("#card-comment")
    shot(page, "contact-card-account-view")
