"""Issue 15, item 4: the screens now show what customers wrote (name, company, comment, interim
answers) and what senders sent (response ids, refused field names). All of it is text: markup
in any of them renders escaped in the sidebar, the dashboard and the case page; the agent's
locale and time zone parameters cannot reach a file path nor the page unescaped."""
import re

import pytest

from connector.web.deliveries import field_names
from tests.conftest import ADMIN_TOKEN
from tests.signing import answer_payload, post_answer
from tests.ui_support import AUD, ZafKeys, open_case

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def zaf(tmp_path):
    return ZafKeys(tmp_path)


@pytest.fixture
def ui(runtime, zaf):
    from connector.web.app import create_app
    runtime.config.update(ZENDESK_APP_PUBLIC_KEY=zaf.public_pem, ZENDESK_APP_AUD=AUD)
    return create_app(runtime.config, runtime=runtime).test_client()


def _sidebar(ui, zaf, query: str):
    page = ui.post("/zendesk/sidebar", data={"token": zaf.token()})
    session = re.search(r'name="recovery-session" content="([^"]+)"', page.text).group(1)
    return ui.get(f"/zendesk/sidebar/case?{query}", headers={"X-Recovery-Session": session})


def _assert_escaped(text: str) -> None:
    assert "<script>alert(1)</script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_customer_words_render_as_text_in_the_sidebar(ui, runtime, zaf):
    payload = answer_payload(response_id="srv-hostile", comment=HOSTILE,
                             customer={"name": HOSTILE, "company": HOSTILE},
                             survey={"name": HOSTILE})
    assert post_answer(ui, payload).status_code == 202
    interim = answer_payload(response_id="srv-hostile-2", comment=HOSTILE, score=2, submitted_at="2026-11-22T10:00:00+00:00",
                             survey={"id": "s", "type": "csat", "name": "x"})
    assert post_answer(ui, interim).status_code == 202
    from connector.store.db import transaction
    from connector.store.models import Case
    with transaction(runtime.sessions) as session:
        session.query(Case).update({"zendesk_ticket_id": 9300})
    fragment = _sidebar(ui, zaf, "ticket_id=9300&locale=fr")
    assert fragment.status_code == 200
    _assert_escaped(fragment.text)
    assert fragment.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # name, company, survey, comment, interim comment


@pytest.mark.parametrize("locale,zone", [
    ("<script>alert(1)</script>", "../../../../etc/passwd"),
    ('fr" onmouseover="alert(1)', "/etc/localtime"),
    ("x" * 5000, "Europe/" + "x" * 5000),
    ("", "Not/AZone"),
])
def test_hostile_locale_and_zone_fall_back_to_english_and_utc(ui, runtime, zaf, locale, zone):
    open_case(runtime, ui, ticket_id=9301)
    from urllib.parse import urlencode
    fragment = _sidebar(ui, zaf, urlencode({"ticket_id": 9301, "locale": locale, "tz": zone}))
    assert fragment.status_code == 200
    assert 'lang="en"' in fragment.text and " UTC</span>" in fragment.text
    assert "alert(1)" not in fragment.text and "passwd" not in fragment.text


def test_dashboard_and_case_page_escape_names_and_response_ids(ui, runtime):
    case_id = open_case(runtime, ui, response_id=f"srv-{HOSTILE}"[:200], ticket_id=9302)
    from connector.store.db import transaction
    from connector.store.models import Answer
    with transaction(runtime.sessions) as session:
        for answer in session.query(Answer):
            answer.customer_name, answer.comment = HOSTILE, HOSTILE
    assert ui.post("/dashboard/login", data={"token": ADMIN_TOKEN}).status_code == 303
    dashboard = ui.get("/dashboard")
    assert dashboard.status_code == 200
    _assert_escaped(dashboard.text)
    case_page = ui.get(f"/dashboard/cases/{case_id}")
    assert case_page.status_code == 200
    _assert_escaped(case_page.text)
    assert ui.get("/dashboard/cases/999999").status_code == 404


def test_the_case_page_needs_the_dashboard_sign_in(ui, runtime):
    case_id = open_case(runtime, ui, ticket_id=9303)
    answer = ui.get(f"/dashboard/cases/{case_id}")
    assert answer.status_code == 303 and "/dashboard/login" in answer.headers["Location"]
    assert "Marie" not in answer.text


def test_refused_field_names_are_names_only():
    assert field_names({"score": ["bad"], "customer": {"email": ["bad"]}}) == ["score", "customer.email"]
    assert field_names({HOSTILE: ["unknown field"], "x" * 61: ["long"]}) == ["?", "?"]
    assert field_names(["not a mapping"]) == []
