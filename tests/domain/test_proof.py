"""Treated vs holdout and the revenue figures on a seeded history, against hand-computed figures."""
from datetime import datetime, timedelta, timezone

from connector.domain.metrics import CaseFacts, compute_metrics
from connector.domain.proof import cases_needed, difference_interval

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def case(number: int, *, holdout: bool, outcome: str | None, value: float | None) -> CaseFacts:
    return CaseFacts(submitted_at=T0 + timedelta(hours=number), value_tier="standard", survey_type="nps",
                     score_before=3, outcome=outcome, score_after=None if outcome is None else 9,
                     holdout=holdout, lifetime_value=value)


# Treated: 40 closed at 1 000 each, 24 recovered (16 promoters, 8 passives), 16 failed; 10 open at
# 2 000 each; 2 open with no known value. Held out: 20 closed at 500 each, 6 recovered (promoters),
# 14 failed; 5 open at 500.
HISTORY = (
    [case(n, holdout=False, outcome="promoter" if n < 16 else "passive" if n < 24 else "failed", value=1000)
     for n in range(40)]
    + [case(40 + n, holdout=False, outcome=None, value=2000) for n in range(10)]
    + [case(50 + n, holdout=False, outcome=None, value=None) for n in range(2)]
    + [case(60 + n, holdout=True, outcome="promoter" if n < 6 else "failed", value=500) for n in range(20)]
    + [case(80 + n, holdout=True, outcome=None, value=500) for n in range(5)]
)

# p1 = 24/40 = 0.6, p2 = 6/20 = 0.3, d = 0.3.
# SE = sqrt(0.6 x 0.4 / 40 + 0.3 x 0.7 / 20) = sqrt(0.006 + 0.0105) = sqrt(0.0165) = 0.128452
# 1.959964 x 0.128452 = 0.251762 -> [0.048238, 0.551762] -> [0.0482, 0.5518]: leaves out 0, significant.
# n = (1.959964 sqrt(2 x 0.45 x 0.55) + 0.841621 sqrt(0.6 x 0.4 + 0.3 x 0.7))^2 / 0.3^2
#   = (1.959964 x 0.703562 + 0.841621 x 0.670820)^2 / 0.09 = (1.378956 + 0.564576)^2 / 0.09
#   = 3.777317 / 0.09 = 41.97 -> 42 per group: the treated lack 2, the holdout 22.
HOLDOUT = {
    "cases": {"treated": 52, "holdout": 25},
    "treated": {"recovered": 24, "closed": 40, "rate": 0.6},
    "holdout": {"recovered": 6, "closed": 20, "rate": 0.3},
    "difference": {"difference": 0.3, "low": 0.0482, "high": 0.5518, "significant": True},
    "cases_needed": {"per_group": 42, "still_needed": {"treated": 2, "holdout": 22}},
}
# At risk: 40 x 1 000 + 10 x 2 000 + 25 x 500 = 72 500 (treated: 60 000). Preserved: 24 x 1 000 + 6 x 500
# = 27 000 (treated 24 000). Protocol difference: 0.3 x 60 000 = 18 000, interval 0.0482 x 60 000 = 2 892
# to 0.5518 x 60 000 = 33 108. Two cases without a known value.
REVENUE = {
    "at_risk": 72500.0, "treated_at_risk": 60000.0, "preserved": 27000.0, "preserved_treated": 24000.0,
    "protocol_difference": {"value": 18000.0, "low": 2892.0, "high": 33108.0}, "cases_without_value": 2,
}


def test_comparison_and_revenue_match_hand_computed_figures():
    report = compute_metrics(HISTORY)
    assert report["holdout"] == HOLDOUT
    assert report["revenue"] == REVENUE


def test_the_protocol_figures_count_treated_cases_only():
    report = compute_metrics(HISTORY)
    # Held-out cases are never called: the rates by tier are the treated cases' (24/40).
    assert report["recovery_rate_by_value_tier"]["standard"] == {"recovered": 24, "closed": 40, "rate": 0.6}
    assert report["called_within_24h"]["total"] == 52


def test_no_difference_needs_no_sample_and_an_empty_group_gives_none():
    assert cases_needed(5, 10, 10, 20) == {"per_group": None, "still_needed": None}
    assert difference_interval(5, 10, 0, 0)["difference"] is None
    assert difference_interval(11, 20, 9, 20)["significant"] is False  # 0.1, SE 0.157: interval holds 0
