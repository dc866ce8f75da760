"""The sandbox's screen URLs in a plain browser: no Zendesk frame, no ZAF client, no signed JWT."""
import pytest

from connector.web.ui.sandbox_screens import screens_token
from tests.browser.conftest import shot
from tests.ui_support import open_case

pytestmark = pytest.mark.browser


@pytest.fixture
def sandbox_live(runtime, live):
    runtime.config["SANDBOX"] = True  # what start_sandbox sets; the live app shares this config
    with live.app.app_context():
        live.token = screens_token()
    return live


def test_a_newcomer_opens_the_sidebar_and_the_card_of_a_case(page, sandbox_live):
    live = sandbox_live
    case_id = open_case(live.runtime, live.client, ticket_id=5150)
    page.goto(f"{live.base}/sandbox/screens?token={live.token}")
    shot(page, "sandbox-screens")
    page.click("text=ticket #5150")
    page.wait_for_selector(f"section#case-{case_id}")
    shot(page, "sandbox-sidebar")
    page.click("#stage-recognition button.complete")  # the sidebar works, not only shows
    page.wait_for_selector("#stage-recognition.status-done")
    page.go_back()
    page.click(f"#cases tr:has-text('#{case_id}') >> text=card")
    page.wait_for_selector("#incident")
    assert f"case #{case_id}" in page.inner_text("#incident")
    assert page.inner_text("#card-stage") != "Recognition"  # done from the sidebar a moment ago
    shot(page, "sandbox-card")
