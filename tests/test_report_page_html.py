"""The HTML report is self-contained and escapes what it shows."""
from connector.cli.report_page import render_html
from connector.domain.cause_figures import by_cause
from connector.domain.metrics import compute_metrics
from tests.domain.test_proof import HISTORY


def test_page_is_self_contained_and_escaped():
    report = compute_metrics(HISTORY)
    report["causes"] = by_cause(HISTORY, ("billing", "<img src=x onerror=alert(2)>"))
    report["systemic_issues"] = {"open": 1, "solved": 0, "issues": [
        {"id": 1, "cause": "<i>billing</i>", "cases": 3, "opened_at": "2026-02-10T12:00:00Z", "status": "open",
         "problem_ticket_id": None}]}
    report["window"] = {"since": "<b>2026</b>", "until": None, "on": "submitted_at"}
    report["recovery_rate_by_profile"]["<script>alert(1)</script>"] = {"recovered": 1, "closed": 2, "rate": 0.5}
    html = render_html(report)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;2026&lt;/b&gt;" in html
    assert "<img" not in html and "<i>billing" not in html and "&lt;i&gt;billing&lt;/i&gt;" in html
    assert "<link" not in html and "src=" not in html.replace("src=x", "") and html.count("<svg") == 7
    # The seeded comparison (tests/domain/test_proof.py): 60% vs 30%, CI 4.8% to 55.2%, 18 000 made.
    assert "60.0%" in html and "30.0%" in html and "95% CI 4.8% to 55.2%" in html and "18,000" in html
