"""The docs and support pages build their links from RECOVERY_PUBLIC_BASE_URL, never from the
request: a forged Host or X-Forwarded-Host cannot make the connector's own page send an admin's
OAuth consent, or a customer's support request, to another site."""
import pytest


@pytest.mark.parametrize("path", ["/docs", "/support"])
@pytest.mark.parametrize("headers", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"},
                                     {"Host": 'evil.example"><script>x</script>'}])
def test_a_forged_host_does_not_reach_the_links(app, path, headers):
    app.config["PUBLIC_BASE_URL"] = "https://connector.example.org"
    page = app.test_client().get(path, headers=headers)
    assert "evil.example" not in page.text and "<script>" not in page.text
    if page.status_code == 200:
        assert "https://connector.example.org/" in page.text


def test_an_unset_public_address_gives_relative_links_not_the_request_host(app):
    app.config["PUBLIC_BASE_URL"] = None
    page = app.test_client().get("/docs", headers={"Host": "evil.example"})
    assert page.status_code == 200 and "evil.example" not in page.text
    assert 'href="/oauth/zendesk/install"' in page.text


def test_the_pages_take_no_input(app):
    """A query string is ignored, not echoed (no reflected markup)."""
    page = app.test_client().get("/docs?base=<script>alert(1)</script>&support_email=x%40evil.example")
    assert "<script>alert(1)" not in page.text and "evil.example" not in page.text
