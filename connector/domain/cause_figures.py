"""Recovery figures per root cause (issue 13, item 4): where the unhappy customers come from,
which causes the protocol recovers, and how much customer value each puts at risk.

- ``cases`` and ``at_risk`` (sum of lifetime values, unknown = 0) count every case of the window;
- ``recovered`` / ``closed`` / ``rate`` are over the treated cases closed with an outcome (as the
  other recovery-rate dimensions: held-out cases never got the protocol);
- ``preserved``: the lifetime value of the recovered customers, treated or not;
- a case is counted under its effective cause (the agent's, else the suggestion); a case with
  neither under ``uncategorised``. Every configured cause is listed, even at 0, in the
  taxonomy's order; a cause removed from the taxonomy still counts under its own key.
"""
from collections.abc import Iterable, Sequence
from typing import TypedDict

from connector.domain.metrics import RECOVERED, CaseFacts

UNCATEGORISED = "uncategorised"


class CauseFigures(TypedDict):
    cases: int
    recovered: int
    closed: int
    rate: float | None
    at_risk: float
    preserved: float


def _value(cases: Iterable[CaseFacts]) -> float:
    return round(float(sum(c.lifetime_value or 0 for c in cases)), 2)


def by_cause(cases: Sequence[CaseFacts], keys: Iterable[str] = ()) -> dict[str, CauseFigures]:
    groups: dict[str, list[CaseFacts]] = {key: [] for key in keys}
    for case in cases:
        groups.setdefault(case.cause or UNCATEGORISED, []).append(case)
    figures: dict[str, CauseFigures] = {}
    for key, members in groups.items():
        closed = [c for c in members if c.outcome is not None and not c.holdout]
        recovered = sum(c.outcome in RECOVERED for c in closed)
        figures[key] = {"cases": len(members), "recovered": recovered, "closed": len(closed),
                        "rate": round(recovered / len(closed), 4) if closed else None,
                        "at_risk": _value(members),
                        "preserved": _value(c for c in members if c.outcome in RECOVERED)}
    return figures
