"""The account roll-up a HubSpot company carries (SPEC "Account view"): pure rules.

Computed again from the connector's own store each time one of the company's contacts
answers or one of its cases opens or closes, so the numbers are exact, never incremented.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

PRIORITY_ORDER = ("urgent", "high", "normal", "low")  # worst first
NPS_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class AccountAnswer:
    survey_type: str        # "nps" or "csat"
    category: str           # promoter / passive / detractor
    submitted_at: datetime


@dataclass(frozen=True)
class CompanyRollup:
    open_incidents: int
    last_detractor_at: datetime | None
    nps_account_score: int | None   # -100..100; None without NPS answers in the window
    worst_open_priority: str | None


def account_nps(answers: Iterable[AccountAnswer], now: datetime) -> int | None:
    """% promoters minus % detractors over the NPS answers of the last 12 months, rounded."""
    recent = [a.category for a in answers if a.survey_type == "nps" and now - a.submitted_at <= NPS_WINDOW]
    if not recent:
        return None
    return round(100 * (recent.count("promoter") - recent.count("detractor")) / len(recent))


def worst_priority(priorities: Iterable[str]) -> str | None:
    ranked = [p for p in priorities if p in PRIORITY_ORDER]
    return min(ranked, key=PRIORITY_ORDER.index) if ranked else None


def company_rollup(open_priorities: list[str], answers: list[AccountAnswer], now: datetime) -> CompanyRollup:
    detractors = [a.submitted_at for a in answers if a.category == "detractor"]
    return CompanyRollup(open_incidents=len(open_priorities),
                         last_detractor_at=max(detractors) if detractors else None,
                         nps_account_score=account_nps(answers, now),
                         worst_open_priority=worst_priority(open_priorities))


def email_domain(email: str) -> str | None:
    """The domain HubSpot would match a company on (lower case), None for a malformed address."""
    _, at, domain = email.strip().lower().rpartition("@")
    return domain if at and "." in domain and not domain.startswith(".") else None
