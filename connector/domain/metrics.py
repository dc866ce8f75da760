"""Recovery metrics over case facts, the numbers the product is judged by.

Definitions (the report states the counts beside every share, so nobody has
to guess a denominator):

- Delays run from the customer's ``submitted_at`` (the protocol clock), not
  from when the case was read. Bounds are inclusive: a call at exactly 24 h is
  "within 24 h", as it meets the stage's due time.
- ``recognised_within_6h`` / ``called_within_24h``: over all cases, open ones
  included (an open case not yet recognised counts as not recognised), except, when the
  report is given ``now``, a case still inside that window and not done yet: it can still
  make it, so it counts neither way (counting it as missed under-counted every report run
  on a day's fresh cases).
- First contact is the earliest completion among recognition and empathy, a person's: a
  recognition completed by the acknowledgement the connector sent itself (public reply, seconds
  after the answer; ``stages.details.automatic``) still counts as recognised, but is no first
  contact, or every such case would land in "<24h" whenever the call came.
- Recovery rates are over cases closed with an outcome; recovered means the
  outcome is ``promoter`` or ``passive``. A closed case that never had a first
  contact is counted in ">72h" (contact was, in effect, never made in time).
- ``failure_reasons``: over cases closed ``partial`` or ``failed``, how many have each reason
  their owner recorded (every configured reason listed, even at 0) and how many have none yet.
- Only a case's opening and closing answers count: interim answers (kept on the case, closing
  nothing) are neither outcomes nor NPS answers here.
- The holdout (``domain.holdout``): held-out cases are never called, so ``called_within_24h``
  and the recovery rates by delay, profile and value tier are over the treated cases only (the
  protocol's own figures); recognition, failure reasons and the NPS of the recovered group count
  every case. ``holdout`` compares the recovery rate of treated and held-out closed cases
  (``domain.proof``: the difference, its 95% interval, the closed cases still needed).
- ``revenue`` (customers' lifetime values, cases whose value is unknown count 0 and are
  counted apart): ``at_risk`` over every case of the window; ``preserved`` over the recovered
  cases (treated or not); ``protocol_difference`` = (treated rate - holdout rate) x the treated
  cases' value at risk, with the difference's interval applied the same way: the value the
  protocol kept that doing nothing would not have (None until both groups have closed cases).
- ``nps_recovered_group``: the standard NPS (% of 9-10 minus % of 0-6, NPS
  answers only) of the recovered cases' opening answers vs. their closing
  answers; CSAT answers are left out rather than converted.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from connector.domain.failure import FAILED_OUTCOMES
from connector.domain.profile import PROFILES
from connector.domain.proof import cases_needed, difference_interval
from connector.domain.rules import VALUE_TIERS

RECOVERED = frozenset({"promoter", "passive"})
AUTOMATIC = "automatic"  # in a stage's details: completed by the connector, not by a person
BUCKETS = ("<24h", "24-48h", "48-72h", ">72h")
_BOUNDS = ((timedelta(hours=24), "<24h"), (timedelta(hours=48), "24-48h"),
           (timedelta(hours=72), "48-72h"))


@dataclass(frozen=True)
class CaseFacts:
    submitted_at: datetime                  # the opening answer's; the clock's start
    value_tier: str
    survey_type: str                        # of the opening answer: nps / csat
    score_before: int
    profile: str | None = None              # None for cases opened before profiling
    recognition_completed_at: datetime | None = None
    empathy_completed_at: datetime | None = None
    outcome: str | None = None              # set when a later answer closed the case
    score_after: int | None = None          # the closing answer's score
    survey_type_after: str | None = None    # the closing answer's type; None = same as opening
    failure_reason: str | None = None       # the owner's reason, for a partial/failed outcome
    recognition_automatic: bool = False     # the acknowledgement went out by itself: no person's contact
    holdout: bool = False                   # held out of the protocol (recognition and re-survey only)
    lifetime_value: float | None = None     # the customer's, None when unknown
    cause: str | None = None                # the effective root cause (the agent's, else the suggestion)

    @property
    def first_contact_at(self) -> datetime | None:
        recognised = None if self.recognition_automatic else self.recognition_completed_at
        done = [t for t in (recognised, self.empathy_completed_at) if t]
        return min(done) if done else None


def _within(moment: datetime | None, start: datetime, limit: timedelta) -> bool:
    return moment is not None and moment - start <= limit


def delay_bucket(case: CaseFacts) -> str:
    first = case.first_contact_at
    if first is None:
        return ">72h"
    delay = first - case.submitted_at
    return next((name for bound, name in _BOUNDS if delay <= bound), ">72h")


class Share(TypedDict):
    count: int
    total: int
    share: float | None  # None when total is 0


class RecoveryRate(TypedDict):
    recovered: int
    closed: int
    rate: float | None  # None when no case of the group closed


def _share(count: int, total: int) -> Share:
    return {"count": count, "total": total, "share": round(count / total, 4) if total else None}


def _rates(closed: list[CaseFacts], key: Callable[[CaseFacts], str | None], names: Iterable[str],
           other: str | None = None) -> dict[str | None, RecoveryRate]:
    """Recovery rate per group; every known group is listed, even when empty."""
    groups: dict[str | None, list[CaseFacts]] = {name: [] for name in names}  # None: key gave None, no other
    for case in closed:
        name = key(case)
        groups.setdefault(name if name is not None else other, []).append(case)
    report: dict[str | None, RecoveryRate] = {}
    for name, cases in groups.items():
        recovered = sum(case.outcome in RECOVERED for case in cases)
        report[name] = {"recovered": recovered, "closed": len(cases),
                        "rate": round(recovered / len(cases), 4) if cases else None}
    return report


def _nps(scores: list[int]) -> float | None:
    if not scores:
        return None
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    return round(100 * (promoters - detractors) / len(scores), 2)


class FailureReasons(TypedDict):
    cases: int              # closed partial or failed
    by_reason: dict[str, int]
    missing: int            # no reason recorded yet


def failure_reasons(closed: list[CaseFacts], reasons: Iterable[str] = ()) -> FailureReasons:
    """Every configured reason, even at 0; a reason recorded before it was removed from the
    configuration still counts under its own key."""
    failed = [case for case in closed if case.outcome in FAILED_OUTCOMES]
    by_reason = dict.fromkeys(reasons, 0)
    for case in failed:
        if case.failure_reason is not None:
            by_reason[case.failure_reason] = by_reason.get(case.failure_reason, 0) + 1
    return {"cases": len(failed), "by_reason": by_reason,
            "missing": sum(case.failure_reason is None for case in failed)}


def _timely(cases: list[CaseFacts], done: Callable[[CaseFacts], datetime | None], limit: timedelta,
            now: datetime | None) -> Share:
    """Share of ``cases`` whose ``done`` moment is within ``limit``; a case still inside its
    window at ``now`` and not done yet is left out of the total."""
    settled = [c for c in cases if now is None or done(c) is not None or now - c.submitted_at > limit]
    return _share(sum(_within(done(c), c.submitted_at, limit) for c in settled), len(settled))


def _recovery(closed: list[CaseFacts]) -> RecoveryRate:
    recovered = sum(case.outcome in RECOVERED for case in closed)
    return {"recovered": recovered, "closed": len(closed), "rate": round(recovered / len(closed), 4) if closed else None}


def holdout_comparison(cases: list[CaseFacts]) -> dict[str, Any]:
    """Recovery rate of treated vs held-out closed cases, the difference with its 95% interval
    and the closed cases each group still needs for a significant result."""
    treated = _recovery([c for c in cases if c.outcome is not None and not c.holdout])
    held = _recovery([c for c in cases if c.outcome is not None and c.holdout])
    counts = (treated["recovered"], treated["closed"], held["recovered"], held["closed"])
    return {"cases": {"treated": sum(not c.holdout for c in cases), "holdout": sum(c.holdout for c in cases)},
            "treated": treated, "holdout": held, "difference": difference_interval(*counts),
            "cases_needed": cases_needed(*counts)}


def _value(cases: Iterable[CaseFacts]) -> float:
    return round(float(sum(c.lifetime_value or 0 for c in cases)), 2)


def revenue(cases: list[CaseFacts], comparison: dict[str, Any]) -> dict[str, Any]:
    """Lifetime value at risk, preserved (recovered customers) and the protocol's difference."""
    treated_at_risk = _value(c for c in cases if not c.holdout)
    difference = comparison["difference"]
    made = None if difference["difference"] is None else {
        bound: round(difference[name] * treated_at_risk, 2)
        for bound, name in (("value", "difference"), ("low", "low"), ("high", "high"))}
    return {"at_risk": _value(cases), "treated_at_risk": treated_at_risk,
            "preserved": _value(c for c in cases if c.outcome in RECOVERED),
            "preserved_treated": _value(c for c in cases if c.outcome in RECOVERED and not c.holdout),
            "protocol_difference": made,
            "cases_without_value": sum(c.lifetime_value is None for c in cases)}


def compute_metrics(cases: Iterable[CaseFacts], reasons: Iterable[str] = (),
                    now: datetime | None = None) -> dict[str, Any]:
    """``reasons``: the configured failure reasons, listed in the report even when none is counted;
    ``now``: when the report is made (None: every window has passed)."""
    cases = list(cases)
    closed = [case for case in cases if case.outcome is not None]
    treated = [case for case in cases if not case.holdout]
    treated_closed = [case for case in closed if not case.holdout]
    recovered = [case for case in closed if case.outcome in RECOVERED]
    before = [c.score_before for c in recovered if c.survey_type == "nps"]
    after = [c.score_after for c in recovered
             if c.score_after is not None and (c.survey_type_after or c.survey_type) == "nps"]
    comparison = holdout_comparison(cases)
    return {
        "cases": len(cases),
        "recognised_within_6h": _timely(cases, lambda c: c.recognition_completed_at, timedelta(hours=6), now),
        "called_within_24h": _timely(treated, lambda c: c.empathy_completed_at, timedelta(hours=24), now),
        "recovery_rate_by_delay": _rates(treated_closed, delay_bucket, BUCKETS),
        "recovery_rate_by_profile": _rates(treated_closed, lambda c: c.profile, PROFILES, other="unknown"),
        "recovery_rate_by_value_tier": _rates(treated_closed, lambda c: c.value_tier, VALUE_TIERS),
        "failure_reasons": failure_reasons(closed, reasons),
        "nps_recovered_group": {"before": _nps(before), "after": _nps(after),
                                "answers_before": len(before), "answers_after": len(after)},
        "holdout": comparison,
        "revenue": revenue(cases, comparison),
    }
