"""The holdout: a share of eligible detractors the protocol leaves alone, to prove what it is worth.

A held-out case still gets the two stages every detractor is owed whatever the experiment
(the personal recognition and the day-60 re-survey that measures the outcome); it gets no
call, plan, gesture nor tracking. Comparing its recovery rate with the treated cases' is the
only honest measure of what the calls add. Never for critical value or VIP customers: the
experiment must not risk the accounts that matter most.
"""
from collections.abc import Iterable
from dataclasses import dataclass

HOLDOUT_STAGE_KEYS: tuple[str, ...] = ("recognition", "resurvey_d60")
NEVER_HELD_OUT_TIERS = frozenset({"critical"})


@dataclass(frozen=True)
class HoldoutSetting:
    """The admin's setting: ``share`` of eligible cases held out (0: off), in these value ``tiers``."""

    share: float = 0.0
    tiers: frozenset[str] = frozenset({"standard"})

    @property
    def on(self) -> bool:
        return self.share > 0


def parse_tiers(value: object) -> frozenset[str]:
    """Tiers as configuration holds them: a JSON list, or a comma/space separated string."""
    if value is None:
        return frozenset({"standard"})
    words: Iterable[object] = value.replace(",", " ").split() if isinstance(value, str) else value  # type: ignore[assignment]
    return frozenset(str(word).strip().lower() for word in words if str(word).strip())


def parse_share(value: object) -> float:
    """The share as a number in [0, 1]; anything else raises ValueError."""
    share = float(value or 0)  # type: ignore[arg-type]
    if not 0 <= share <= 1:
        raise ValueError(f"holdout share must be between 0 and 1 (got {share})")
    return share


def eligible(setting: HoldoutSetting, value_tier: str, vip: bool, value_known: bool) -> bool:
    """May this case be drawn? Not when off, not a VIP, not critical, not a tier the admin left
    out, and not while its value is still being looked up (it may turn out critical)."""
    return (setting.on and not vip and value_known and value_tier not in NEVER_HELD_OUT_TIERS
            and value_tier in setting.tiers)


def held_out(setting: HoldoutSetting, draw: float) -> bool:
    """A uniform draw in [0, 1) below the share holds the case out: P(held out) = share."""
    return draw < setting.share
