"""The sidebar, the card preview and the dashboard in a real browser."""
import html
import re

import pytest

from connector.store.db import transaction
from connector.store.models import Case, Job
from tests.browser.conftest import shot
from tests.conftest import ADMIN_TOKEN
from tests.ui_support import dead_job, open_case

pytestmark = pytest.mark.browser
ZAF_STUB = """window.ZAFClient = {init: function () { return {
  get: function () { return Promise.resolve({"ticket.id": %d}); }, invoke: function () {} }; }};"""


def open_sidebar(page, live, ticket_id: int) -> None:
    """What Zendesk does with signedUrls: POST the app's JWT in a form to the location URL."""
    page.add_init_script(ZAF_STUB % ticket_id)
    page.set_content(f"""<form id="f" method="post" action="{live.base}/zendesk/sidebar">
      <input type="hidden" name="token" value="{html.escape(live.keys.token())}"></form>""")
    page.eval_on_selector("#f", "form => form.submit()")
    page.wait_for_selector("section.case")


def test_sidebar_completes_a_stage_and_records_compensation(page, live):
    case_id = open_case(live.runtime, live.client, ticket_id=4321, submitted_at="2020-01-01T10:00:00+00:00")
    open_sidebar(page, live, 4321)
    assert page.locator("#stage-recognition").get_attribute("data-status") == "overdue"
    assert page.locator("#stage-recognition .overdue-flag").inner_text() == "OVERDUE"
    assert page.inner_text("#next-step").startswith("Next: Recognition — Send a personal acknowledgement")
    assert page.locator("#next-step.late").count() == 1
    shot(page, "sidebar-overdue")
    page.click("#stage-recognition button.complete")
    page.wait_for_selector("#stage-recognition.status-done")
    assert page.inner_text("#next-step").startswith("Next: Empathy call — Call the customer")
    page.fill("#compensation-form input[name=amount]", "-3")
    page.click("#compensation-form button[type=submit]")
    page.wait_for_selector("#form-error:has-text('amount')")
    page.select_option("#compensation-form select[name=type]", "credit")
    page.fill("#compensation-form input[name=amount]", "150")
    page.fill("#compensation-form input[name=note]", "two months")
    page.click("#compensation-form button[type=submit]")
    page.wait_for_selector("#stage-compensation.status-done")
    assert "credit 150 EUR" in page.locator("#stage-compensation").inner_text()
    shot(page, "sidebar-after")
    with transaction(live.runtime.sessions) as session:
        stages = {s.key: s for s in session.get(Case, case_id).stages}
        assert stages["recognition"].status == stages["compensation"].status == "done"
        assert stages["compensation"].details["compensation"]["note"] == "two months"


def test_sidebar_records_why_a_failed_recovery_failed(page, live):
    from tests.signing import answer_payload, post_answer

    case_id = open_case(live.runtime, live.client, ticket_id=4322, submitted_at="2020-01-01T10:00:00+00:00")
    closing = answer_payload(response_id="srv-ui-fail", score=2, submitted_at="2020-02-15T10:00:00+00:00")
    assert post_answer(live.client, closing).status_code == 202  # day 45, NPS 2 -> failed
    open_sidebar(page, live, 4322)
    assert page.inner_text("#failure-missing") == "The case closed failed: record the reason."
    page.select_option("#failure-form select[name=reason]", "other")
    page.click("#failure-form button[type=submit]")
    page.wait_for_selector("#failure-error:has-text('note')")
    page.select_option("#failure-form select[name=reason]", "competitor")
    page.fill("#failure-form input[name=note]", "Moved to a same-category rival")
    page.click("#failure-form button[type=submit]")
    page.wait_for_selector("#failure-recorded")
    assert page.inner_text("#failure-recorded") == \
        "Recorded: The customer chose a competitor — Moved to a same-category rival"
    shot(page, "sidebar-failure-reason")
    with transaction(live.runtime.sessions) as session:
        case = session.get(Case, case_id)
        assert (case.failure_reason, case.failure_note) == ("competitor", "Moved to a same-category rival")


def login(page, live, next_path: str = "/dashboard") -> None:
    page.goto(f"{live.base}/dashboard/login?next={next_path}")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")


def test_card_preview_page(page, live):
    case_id = open_case(live.runtime, live.client)
    login(page, live, "/hubspot/card/preview")
    page.fill("input[name=email]", "marie@example.com")
    page.click("text=Show")
    page.wait_for_selector("#incident")
    assert f"case #{case_id}" in page.inner_text("#incident")
    assert page.inner_text("#card-stage") == "Recognition"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC( OVERDUE)?", page.inner_text("#card-due")), page.inner_text("#card-due")
    shot(page, "card-preview")


def test_dashboard_shows_cases_and_replays_a_dead_job(page, live):
    case_id = open_case(live.runtime, live.client, submitted_at="2020-01-01T10:00:00+00:00")
    job_id = dead_job(live.runtime, case_id)
    page.goto(f"{live.base}/dashboard")
    assert "/dashboard/login" in page.url  # no cookie yet
    login(page, live)
    page.wait_for_selector("#open-cases")
    assert f"Case #{case_id}" in page.inner_text("#open-cases")
    assert page.locator("#overdue tr.overdue").count() >= 1
    overdue = page.inner_text("#overdue")  # the three tracking stages told apart by their day
    assert all(f"Tracking (day {day})" in overdue for day in (7, 14, 30)), overdue
    assert page.locator("#chart svg rect.bar").count() == 4
    assert ADMIN_TOKEN not in page.content() and ADMIN_TOKEN not in page.url
    shot(page, "dashboard")
    page.click(f"#job-{job_id} button")
    page.wait_for_selector("#replayed")
    assert page.locator(f"#job-{job_id}").count() == 0
    with transaction(live.runtime.sessions) as session:
        assert session.get(Job, job_id).status in ("queued", "running", "done")
    shot(page, "dashboard-replayed")
    # The delivery log's own Replay: the answer's delivery shows its failed sync and queues it again.
    again = dead_job(live.runtime, case_id)
    page.goto(f"{live.base}/dashboard")
    page.click("#delivery-log tr:has-text('1 failed') button")
    page.wait_for_selector("#delivery-replayed")
    assert "1 failed job(s) queued again" in page.inner_text("#delivery-replayed")
    assert page.locator("#delivery-log button").count() == 0
    with transaction(live.runtime.sessions) as session:
        assert session.get(Job, again).status in ("queued", "running", "done")
    shot(page, "dashboard-delivery-replayed")
