"""How a recovery ended, from the customer's next answer (contract values).

``promoter`` (NPS 9-10 / CSAT 4-5), ``passive`` (7-8 / 3), ``partial`` (still a
detractor but a higher score than before, same scale), ``failed`` (same or
lower). Comparing scores across scales would be meaningless, so a detractor
answering on another scale counts as ``failed`` unless its category improved.
"""
from collections.abc import Mapping
from datetime import datetime, timedelta

OUTCOMES = ("promoter", "passive", "partial", "failed")
REOPENING = ("partial", "failed")  # still a detractor: the answer that closes the case opens a linked one
ESCALATION = ("low", "normal", "high", "urgent")


def outcome(before_type: str, before_score: int, after_type: str, after_score: int, after_category: str) -> str:
    if after_category in ("promoter", "passive"):
        return after_category
    if before_type == after_type and after_score > before_score:
        return "partial"
    return "failed"


def closes_case(case_type: str, opened_by: datetime, answer_type: str, answered: datetime,
                windows: Mapping[str, int], *, answers_resurvey: bool = False) -> bool:
    """Whether a later answer ends the case (SPEC "Outcome"): the answer to its re-survey, or an
    answer of the case's own survey type at or after its closing window opens (NPS closes NPS,
    CSAT closes CSAT). Anything earlier or of the other type is interim: recovery is measured,
    not assumed, and 60% of detractor-to-promoter changes happen between day 30 and day 90."""
    if answers_resurvey:
        return True
    return answer_type == case_type and answered >= opened_by + timedelta(days=windows[case_type])


def escalate(priority: str) -> str:
    """One Zendesk priority level up, capped at urgent."""
    index = ESCALATION.index(priority)
    return ESCALATION[min(index + 1, len(ESCALATION) - 1)]
