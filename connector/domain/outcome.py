"""How a recovery ended, from the customer's next answer (contract values).

``promoter`` (NPS 9-10 / CSAT 4-5), ``passive`` (7-8 / 3), ``partial`` (still a
detractor but a higher score than before, same scale), ``failed`` (same or
lower). Comparing scores across scales would be meaningless, so a detractor
answering on another scale counts as ``failed`` unless its category improved.
"""
OUTCOMES = ("promoter", "passive", "partial", "failed")
ESCALATION = ("low", "normal", "high", "urgent")


def outcome(before_type: str, before_score: int, after_type: str, after_score: int, after_category: str) -> str:
    if after_category in ("promoter", "passive"):
        return after_category
    if before_type == after_type and after_score > before_score:
        return "partial"
    return "failed"


def escalate(priority: str) -> str:
    """One Zendesk priority level up, capped at urgent."""
    index = ESCALATION.index(priority)
    return ESCALATION[min(index + 1, len(ESCALATION) - 1)]
