"""The account roll-up's pure rules: NPS over 12 months, worst priority, the e-mail's domain."""
from datetime import datetime, timedelta, timezone

from connector.domain.account import AccountAnswer, account_nps, company_rollup, email_domain, worst_priority

NOW = datetime(2026, 12, 4, tzinfo=timezone.utc)


def nps(category: str, days_ago: int, survey: str = "nps") -> AccountAnswer:
    return AccountAnswer(survey, category, NOW - timedelta(days=days_ago))


def test_account_nps_counts_nps_answers_of_the_last_12_months_only():
    answers = [nps("promoter", 1), nps("promoter", 2), nps("detractor", 3), nps("passive", 4),
               nps("detractor", 400), nps("detractor", 5, survey="csat")]
    assert account_nps(answers, NOW) == 25          # 2 promoters, 1 detractor out of 4
    assert account_nps([nps("detractor", 400)], NOW) is None
    assert account_nps([nps("detractor", 1)], NOW) == -100


def test_worst_priority_and_rollup():
    assert worst_priority(["low", "high", "normal"]) == "high" and worst_priority([]) is None
    rollup = company_rollup(["normal", "urgent"], [nps("detractor", 2), nps("detractor", 9)], NOW)
    assert (rollup.open_incidents, rollup.worst_open_priority, rollup.nps_account_score) == (2, "urgent", -100)
    assert rollup.last_detractor_at == NOW - timedelta(days=2)


def test_email_domain():
    assert email_domain(" Marie@ACME.fr ") == "acme.fr"
    assert email_domain("nobody") is None and email_domain("a@localhost") is None
