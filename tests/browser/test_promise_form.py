"""The sidebar's action-plan form in a real browser: promises added row by row, a refused one
named, then recorded with the stage and the confirmation shown to send."""
import pytest

from connector.store.db import transaction
from connector.store.models import Promise
from tests.browser.conftest import shot
from tests.browser.test_screens import open_sidebar
from tests.ui_support import open_case

pytestmark = pytest.mark.browser


def fill(page, index: int, what: str, who: str, by: str) -> None:
    row = page.locator("#action-form fieldset.promise-row").nth(index)
    row.locator("input[name=what]").fill(what)
    row.locator("input[name=who]").fill(who)
    row.locator("input[name=by]").fill(by)


def test_sidebar_records_two_promises_and_shows_the_confirmation(page, live):
    open_case(live.runtime, live.client, ticket_id=4400)
    open_sidebar(page, live, 4400)
    fill(page, 0, "Rembourser la facture", "claire.martin@example.com", "2099-01-15")
    page.click("#add-promise")
    fill(page, 1, "Corriger le prélèvement", "Claire Martin", "2000-01-01")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#action-error:has-text('promise 2: by')")
    fill(page, 1, "Corriger le prélèvement", "Claire Martin", "2099-01-20")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#stage-action.status-done")
    assert page.locator("#promises li.promise").count() == 2
    draft = page.input_value("#confirmation-draft")
    assert draft.startswith("Bonjour Marie,") and "au plus tard le 20/01/2099" in draft
    assert page.locator("#action-form").count() == 0
    shot(page, "sidebar-promises")
    with transaction(live.runtime.sessions) as session:
        assert sorted(p.what for p in session.query(Promise)) == ["Corriger le prélèvement", "Rembourser la facture"]
    page.locator("#promises button.keep").first.click()
    page.wait_for_selector("#promises li.status-kept")
    assert page.locator("#promises button.keep").count() == 1
