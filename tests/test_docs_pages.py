"""/docs and /support: the pages the marketplace listings point to, public and complete."""
import re
from urllib.parse import urlparse

import pytest
from werkzeug.exceptions import NotFound

BASE = "https://connector.example.org"


@pytest.fixture
def pages(app):
    app.config["PUBLIC_BASE_URL"] = BASE
    app.config["SUPPORT_EMAIL"] = "help@connector.example.org"
    return app.test_client()


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/docs", "/support"])
def test_the_page_is_public_and_every_link_of_ours_is_a_route(pages, app, path):
    page = pages.get(path)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    adapter = app.url_map.bind("connector.example.org", url_scheme="https")
    ours = [urlparse(link) for link in _links(page.text) if link.startswith(BASE)]
    assert ours, "the page links to the connector's own pages"
    for link in ours:
        try:
            adapter.match(link.path, method="GET")
        except NotFound:
            pytest.fail(f"{path} links to {link.path}, which is not a route")


def test_the_docs_tell_each_admin_what_to_do_once(pages):
    """Install steps a customer's admin can follow alone; the HubSpot card must be placed once
    (Customize), HubSpot does not add it to the record view itself."""
    text = pages.get("/docs").text
    assert f"{BASE}/oauth/zendesk/install" in text and f"{BASE}/oauth/hubspot/install" in text
    assert "Customize" in text and "no setting" in text
    assert "RECOVERY_" not in text, "nothing an operator's variable in a customer's steps"


def test_the_support_page_names_the_support_address_and_asks_for_no_customer_data(pages):
    text = pages.get("/support").text
    assert 'href="mailto:help@connector.example.org"' in text
    assert "Do not send the customer" in text and f"{BASE}/healthz" in text


def test_without_a_support_address_the_page_still_says_whom_to_ask(app):
    app.config["SUPPORT_EMAIL"] = None
    text = app.test_client().get("/support").text
    assert "mailto:" not in text and "team that runs this connector" in text
