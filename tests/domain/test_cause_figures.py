"""Recovery figures per root cause, against figures computed by hand."""
from dataclasses import replace
from datetime import datetime, timezone

from connector.domain.cause_figures import by_cause
from connector.domain.metrics import CaseFacts

T = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
BASE = CaseFacts(submitted_at=T, value_tier="standard", survey_type="nps", score_before=3)


def case(cause, outcome=None, *, holdout=False, value=None):
    return replace(BASE, cause=cause, outcome=outcome, holdout=holdout, lifetime_value=value)


def test_each_cause_counts_its_cases_rate_and_value():
    cases = [case("billing", "promoter", value=1000), case("billing", "failed", value=500),
             case("billing", None, value=250),                     # open: counts in cases and value only
             case("billing", "passive", holdout=True, value=100),  # held out: no rate, but preserved
             case("pricing", "partial"), case(None, "promoter", value=40),
             case("retired_cause", "failed")]                      # removed from the taxonomy: kept
    figures = by_cause(cases, ("billing", "pricing", "delivery"))
    assert list(figures) == ["billing", "pricing", "delivery", "uncategorised", "retired_cause"]
    assert figures["billing"] == {"cases": 4, "recovered": 1, "closed": 2, "rate": 0.5,
                                  "at_risk": 1850.0, "preserved": 1100.0}
    assert figures["pricing"] == {"cases": 1, "recovered": 0, "closed": 1, "rate": 0.0,
                                  "at_risk": 0.0, "preserved": 0.0}
    assert figures["delivery"] == {"cases": 0, "recovered": 0, "closed": 0, "rate": None,
                                   "at_risk": 0.0, "preserved": 0.0}
    assert figures["uncategorised"]["rate"] == 1.0 and figures["uncategorised"]["preserved"] == 40.0
    assert figures["retired_cause"]["closed"] == 1


def test_a_history_without_causes_is_all_uncategorised():
    figures = by_cause([case(None, "promoter"), case(None, "failed")])
    assert figures == {"uncategorised": {"cases": 2, "recovered": 1, "closed": 2, "rate": 0.5,
                                         "at_risk": 0.0, "preserved": 0.0}}
