"""``recovery report --format html`` opens in Chromium, whole, with its charts (issue 13)."""
import os

from click.testing import CliRunner
from sqlalchemy import select

from connector.cli.report import report
from connector.store.db import transaction
from connector.store.models import Case
from tests.browser.conftest import ARTIFACTS
from tests.test_metrics_report import seed


def test_html_report_opens_with_its_charts(page, runtime, db_url, tmp_path, monkeypatch):
    seed(runtime.sessions)
    with transaction(runtime.sessions) as session:
        for case in session.scalars(select(Case).where(Case.tenant_id == "default")):
            case.lifetime_value = 800 if case.value_tier == "standard" else 20000
            case.holdout = case.value_tier == "standard"  # the standard cases stand for the holdout
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RECOVERY_DATABASE_URL", db_url)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(report, ["--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html

    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(out.as_uri())
    assert page.locator("svg.chart").count() == 7
    # Per cause: the taxonomy's eight and "uncategorised"; billing's treated closed cases are #1 and
    # #6 (#3 is standard, here held out), both recovered.
    causes = page.locator('svg[data-chart="causes"] g')
    assert causes.count() == 9 and "billing" in causes.nth(0).text_content() and "100.0% (2/2)" in causes.nth(0).text_content()
    # Value at risk per cause: billing #1, #3, #6 = 20 000 + 800 + 20 000 = 40 800, the longest bar.
    at_risk = page.locator('svg[data-chart="causes-at-risk"] g')
    assert "40,800" in at_risk.nth(0).text_content()
    assert page.locator("table.issues").get_by_text("billing").is_visible()
    revenue = page.locator('svg[data-chart="revenue"] rect.bar')
    # At risk 184 000 (the full track), preserved 120 800, made by the protocol 94 284.
    assert [round(float(revenue.nth(i).get_attribute("width"))) for i in range(3)] == [240, 158, 123]
    comparison = page.locator('svg[data-chart="treated-vs-holdout"] rect.bar')
    assert comparison.count() == 2
    # Treated: closed #1, #2, #4, #5, #6, #7, #9 (6 of 7 recovered); holdout: #3, #8, #10 (1 of 3).
    assert page.get_by_text("85.7% (6/7)").is_visible() and page.get_by_text("33.3% (1/3)").is_visible()
    assert float(comparison.nth(0).get_attribute("width")) > float(comparison.nth(1).get_attribute("width")) > 0
    # d = 6/7 - 1/3 = 0.5238 (rounded) x the treated cases' value at risk: the nine critical or high
    # cases (#1, #2, #4, #5, #6, #7, #9, #11, #14) at 20 000 = 180 000 -> 94 284.
    made = page.locator(".figure", has_text="Made by the protocol")
    assert made.is_visible() and "94,284" in made.inner_text()
    assert requests == [out.as_uri()]  # self-contained: nothing else fetched
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "recovery-report-html.png"), full_page=True)
