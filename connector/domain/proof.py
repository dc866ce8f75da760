"""The proof: treated cases against the holdout (``domain.holdout``), and the revenue at stake.

Pure functions over counts, standard formulas (normal approximation, fine from about ten
recovered and ten unrecovered cases per group; below that the interval is indicative only):

- Difference of two proportions, p1 treated and p2 holdout over n1 and n2 closed cases:
  ``d = p1 - p2``, ``SE = sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)``, 95% interval ``d -/+ 1.96 SE``
  (Wald), clipped to [-1, 1] (small groups). Significant when the interval leaves out 0.
- Closed cases needed per group to detect the observed difference at 95% confidence (two-sided)
  with 80% power (Fleiss, without continuity correction), ``pbar = (p1 + p2) / 2``:
  ``n = (z_0.975 sqrt(2 pbar (1-pbar)) + z_0.8 sqrt(p1(1-p1) + p2(1-p2)))^2 / d^2``, rounded up;
  "still needed" is what each group lacks of it. None when the rates are equal (no difference
  to detect) or a group has no closed case yet.
"""
import math
from statistics import NormalDist
from typing import TypedDict

Z_95 = NormalDist().inv_cdf(0.975)    # 1.959964
Z_POWER_80 = NormalDist().inv_cdf(0.8)  # 0.841621


class Difference(TypedDict):
    difference: float | None
    low: float | None
    high: float | None
    significant: bool | None


class SampleSize(TypedDict):
    per_group: int | None
    still_needed: dict[str, int] | None  # treated / holdout: closed cases each group still lacks


def difference_interval(recovered_1: int, closed_1: int, recovered_2: int, closed_2: int) -> Difference:
    """``p1 - p2`` with its 95% Wald interval; all None while a group has no closed case."""
    if not closed_1 or not closed_2:
        return {"difference": None, "low": None, "high": None, "significant": None}
    p1, p2 = recovered_1 / closed_1, recovered_2 / closed_2
    error = Z_95 * math.sqrt(p1 * (1 - p1) / closed_1 + p2 * (1 - p2) / closed_2)
    low, high = max(-1.0, p1 - p2 - error), min(1.0, p1 - p2 + error)  # a difference of rates stays in [-1, 1]
    return {"difference": round(p1 - p2, 4), "low": round(low, 4), "high": round(high, 4),
            "significant": low > 0 or high < 0}


def cases_needed(recovered_1: int, closed_1: int, recovered_2: int, closed_2: int) -> SampleSize:
    """Closed cases per group for 95% confidence and 80% power at the observed rates."""
    if not closed_1 or not closed_2 or recovered_1 * closed_2 == recovered_2 * closed_1:
        return {"per_group": None, "still_needed": None}
    p1, p2 = recovered_1 / closed_1, recovered_2 / closed_2
    mean = (p1 + p2) / 2
    root = Z_95 * math.sqrt(2 * mean * (1 - mean)) + Z_POWER_80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    per_group = math.ceil(root ** 2 / (p1 - p2) ** 2)
    return {"per_group": per_group,
            "still_needed": {"treated": max(0, per_group - closed_1), "holdout": max(0, per_group - closed_2)}}
