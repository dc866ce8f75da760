"""The dashboard tells whose cases they are: an empty state that says what to do, the field names
of a refused answer, each delivery's response id and case, counts beside the chart's rates, and
links to a read-only page per case."""
import pytest

from connector.store.db import transaction
from connector.store.models import Case
from tests.browser.conftest import shot
from tests.browser.test_screens import login
from tests.signing import answer_payload, post_answer
from tests.ui_support import open_case

pytestmark = pytest.mark.browser


def test_empty_dashboard_explains_itself_then_names_the_refused_fields(page, live):
    login(page, live)
    page.wait_for_selector("#empty")
    assert "No survey answer has reached the connector yet" in page.inner_text("#empty")
    assert "/webhooks/surveys/generic" in page.inner_text("#empty")
    assert page.is_visible("#no-rates")
    assert page.inner_text("#open-cases") == "No open case."
    shot(page, "dashboard-empty")
    bad = answer_payload(response_id="srv-bad", score=42, customer={"email": "not an e-mail"})
    refused = post_answer(live.client, bad)
    assert refused.status_code == 422
    page.reload()
    reason = page.inner_text("#delivery-log tr:has-text('422') td.reason")
    assert reason.startswith("validation_failed: ") and {"score", "customer.email"} <= set(reason[19:].split(", "))
    assert "not an e-mail" not in page.content()  # names of the fields, never the values
    assert page.is_visible("#empty")  # still nothing stored


def test_dashboard_links_cases_with_names_response_ids_and_counted_rates(page, live):
    closed_id = open_case(live.runtime, live.client, email="luc@example.com", response_id="srv-luc",
                          ticket_id=4601, submitted_at="2020-01-01T10:00:00+00:00")
    closing = answer_payload(response_id="srv-luc-later", score=9, submitted_at="2020-02-15T10:00:00+00:00",
                             customer={"email": "luc@example.com"})
    assert post_answer(live.client, closing).status_code == 202  # day 45, promoter: recovered
    open_id = open_case(live.runtime, live.client, response_id="srv-marie", ticket_id=4602)
    with transaction(live.runtime.sessions) as session:
        assert session.get(Case, closed_id).outcome == "promoter"
    login(page, live)
    page.wait_for_selector("#open-cases")
    assert page.locator("#empty").count() == 0
    assert page.inner_text(f"#open-case-{open_id} .customer") == "Marie Dubois"
    counts = page.locator("#chart text.count").all_text_contents()
    assert len(counts) == 4 and sorted(counts) == ["0/0", "0/0", "0/0", "1/1"], counts
    assert "100%" in page.locator("#chart text.rate").all_text_contents()
    row = page.locator("#delivery-log tr:has-text('srv-marie')")
    assert row.locator("td.response-id").inner_text() == "srv-marie"
    assert row.locator("td.case").inner_text() == f"#{open_id}"
    closing_row = page.locator("#delivery-log tr:has-text('srv-luc-later') td.case")
    assert closing_row.inner_text() == f"#{closed_id}"  # the answer that closed it
    shot(page, "dashboard-story")
    page.click(f"#open-case-{open_id} a")
    page.wait_for_selector(f"#case-{open_id}")
    assert page.inner_text("#customer") == "Marie Dubois · Acme"
    assert page.inner_text("#score").startswith("NPS 3/10")
    assert page.inner_text("#comment") == "Service catastrophique, je cherche déjà un autre fournisseur."
    assert page.inner_text("#status") == "In progress"
    assert page.locator("li.stage").count() == 8 and page.locator("button.complete").count() == 0
    shot(page, "dashboard-case")
