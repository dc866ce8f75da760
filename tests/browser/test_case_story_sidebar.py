"""The sidebar tells the whole case, in the agent's language and time zone (as ZAF's currentUser
gives them): who answered what, the draft to send, interim answers, an undoable "Mark done",
a recorded gesture, and a closed case whose remaining stages are skipped."""
import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connector.store.db import transaction
from connector.store.models import Case
from tests.browser.conftest import shot
from tests.signing import answer_payload, post_answer
from tests.ui_support import open_case

pytestmark = pytest.mark.browser
# ZAF as Zendesk answers the app: the ticket id and the signed-in agent (locale, time zone).
ZAF_AGENT = """window.ZAFClient = {init: function () { return {
  get: function () { return Promise.resolve({"ticket.id": %d, "currentUser": {"locale": "%s",
    "timeZone": {"ianaName": "%s", "name": "Paris"}}}); }, invoke: function () {} }; }};"""


def open_as_agent(page, live, ticket_id: int, locale: str = "fr", zone: str = "Europe/Paris") -> None:
    page.add_init_script(ZAF_AGENT % (ticket_id, locale, zone))
    page.set_content(f"""<form id="f" method="post" action="{live.base}/zendesk/sidebar">
      <input type="hidden" name="token" value="{html.escape(live.keys.token())}"></form>""")
    page.eval_on_selector("#f", "form => form.submit()")
    page.wait_for_selector("section.case")


def stage_due(live, case_id: int, key: str) -> datetime:
    with transaction(live.runtime.sessions) as session:
        return next(s.due_at for s in session.get(Case, case_id).stages if s.key == key)


def test_sidebar_tells_the_case_in_french_in_the_agents_time_zone(page, live):
    opened = datetime.now(ZoneInfo("UTC")) - timedelta(hours=2)
    case_id = open_case(live.runtime, live.client, ticket_id=4500, submitted_at=opened.isoformat())
    interim = answer_payload(response_id="srv-ui-interim", survey={"id": "support", "type": "csat", "name": "Support"},
                             score=2, comment="Toujours pas de rappel.", submitted_at=datetime.now(ZoneInfo("UTC")).isoformat())
    assert post_answer(live.client, interim).status_code == 202  # another survey type: interim, the case stays open
    open_as_agent(page, live, 4500)
    assert page.get_attribute("section.case", "lang") == "fr"
    assert page.inner_text("#customer") == "Marie Dubois · Acme"
    assert page.inner_text("#score") == "NPS 3/10 · Q4 NPS (relationnelle)"
    assert page.inner_text("#comment") == "Service catastrophique, je cherche déjà un autre fournisseur."
    assert page.inner_text("#status") == page.inner_text("#case-status") == "En cours"
    assert page.locator("#interim-answers li").count() == 1
    assert "CSAT 2/5 — “Toujours pas de rappel.”" in page.inner_text("#interim-answers")
    draft = page.input_value("#acknowledgement-draft")
    assert draft.startswith("Bonjour Marie,"), draft
    # Dates in the agent's zone: Paris, not UTC.
    due = stage_due(live, case_id, "recognition").astimezone(ZoneInfo("Europe/Paris"))
    expected = f"échéance {due:%d/%m/%Y %H:%M} {due.tzname()}"
    assert page.inner_text("#stage-recognition .due") == expected
    assert page.inner_text("#stage-tracking_d7 .title") == "Suivi (jour 7)"
    assert "Envoyez un accusé de réception personnel" in page.inner_text("#next-step")  # the stage's instruction
    assert page.inner_text("#stage-recognition button.complete") == "Marquer fait"
    shot(page, "sidebar-case-fr")
    page.set_viewport_size({"width": 340, "height": 900})  # the width of Zendesk's apps panel
    assert page.evaluate("document.documentElement.scrollWidth") <= 340  # nothing runs off the side
    shot(page, "sidebar-case-fr-panel")


def test_sidebar_in_english_for_an_english_agent(page, live):
    open_case(live.runtime, live.client, ticket_id=4501)
    open_as_agent(page, live, 4501, locale="en-US", zone="America/New_York")
    assert page.inner_text("#status") == "In progress"
    assert page.inner_text("#stage-tracking_d14 .title") == "Tracking (day 14)"
    assert page.inner_text("#stage-recognition .due").endswith((" EST", " EDT"))
    shot(page, "sidebar-case-en")


def test_mark_done_waits_for_undo_before_anything_is_recorded(page, live):
    case_id = open_case(live.runtime, live.client, ticket_id=4502)
    open_as_agent(page, live, 4502, locale="en")
    page.click("#stage-recognition button.complete")
    page.wait_for_selector("#stage-recognition .pending-done")
    assert page.is_hidden("#stage-recognition button.complete")
    shot(page, "sidebar-undo")
    page.click("#stage-recognition button.undo")
    assert page.is_visible("#stage-recognition button.complete")
    # A second stage marked after the undo commits once its window passes; had the undo not
    # cancelled the first, that one (started earlier) would have been recorded before it.
    page.click("#stage-empathy button.complete")
    page.wait_for_selector("#stage-empathy.status-done")
    with transaction(live.runtime.sessions) as session:
        statuses = {s.key: s.status for s in session.get(Case, case_id).stages}
    assert statuses["empathy"] == "done"
    assert statuses["recognition"] != "done"
    assert page.locator("#stage-recognition button.complete").count() == 1


def test_leaving_the_page_sends_a_mark_done_still_waiting(page, live):
    from tests.e2e.conftest import wait_until

    case_id = open_case(live.runtime, live.client, ticket_id=4506)
    open_as_agent(page, live, 4506, locale="en")
    page.click("#stage-recognition button.complete")
    page.wait_for_selector("#stage-recognition .pending-done")
    page.goto("about:blank")  # the agent moves to another ticket within the undo window

    def recognised() -> bool:
        with transaction(live.runtime.sessions) as session:
            return next(s.status for s in session.get(Case, case_id).stages if s.key == "recognition") == "done"
    wait_until(recognised, timeout=10)


def test_a_recorded_gesture_is_shown_instead_of_the_empty_form(page, live):
    open_case(live.runtime, live.client, ticket_id=4503)
    open_as_agent(page, live, 4503, locale="en")
    assert page.is_visible("#compensation-form")
    page.select_option("#compensation-form select[name=type]", "credit")
    page.fill("#compensation-form input[name=amount]", "150")
    page.fill("#compensation-form input[name=note]", "two months")
    page.click("#compensation-form button[type=submit]")
    page.wait_for_selector("#compensation-recorded")
    assert page.inner_text("#compensation-recorded p") == "credit 150 EUR — two months"
    assert page.is_hidden("#compensation-form")  # behind "Record another", folded
    shot(page, "sidebar-compensation-recorded")


def test_a_closed_case_shows_its_remaining_stages_skipped_and_no_urgent_pill(page, live):
    case_id = open_case(live.runtime, live.client, ticket_id=4504, submitted_at="2020-01-01T10:00:00+00:00")
    with transaction(live.runtime.sessions) as session:
        assert session.get(Case, case_id).priority == "urgent"  # a critical-value customer
    closing = answer_payload(response_id="srv-ui-close", score=9, submitted_at="2020-02-15T10:00:00+00:00")
    assert post_answer(live.client, closing).status_code == 202  # day 45, NPS 9 -> promoter
    open_as_agent(page, live, 4504, locale="en")
    assert page.inner_text("#status") == "Closed: recovered (now a promoter)"
    assert "NPS 9/10" in page.inner_text("#closing-answer")
    assert page.locator("#priority").count() == 0 and page.locator(".priority-urgent").count() == 0
    assert page.locator(".overdue-flag").count() == 0 and page.locator("button.complete").count() == 0
    assert page.locator("li.stage.status-skipped").count() == 8
    assert page.inner_text("#stage-recognition .skipped-flag") == "skipped: the case closed"
    assert page.locator("#compensation-form").count() == 0
    shot(page, "sidebar-closed")


def test_a_comment_with_markup_shows_as_text_and_runs_nothing(page, live):
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    payload = answer_payload(response_id="srv-ui-hostile", comment=hostile, customer={"name": hostile})
    answer = post_answer(live.client, payload)
    assert answer.status_code == 202
    with transaction(live.runtime.sessions) as session:
        session.get(Case, answer.get_json()["case_id"]).zendesk_ticket_id = 4505
    open_as_agent(page, live, 4505, locale="en")
    assert page.inner_text("#comment") == hostile
    assert page.inner_text("#customer").startswith(hostile)
    assert page.evaluate("window.pwned") is None
    assert page.locator("section.case img, section.case script").count() == 0
