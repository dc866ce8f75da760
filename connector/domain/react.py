"""The REACT recovery protocol (contract: stage keys and due offsets).

Offsets are calendar time from the customer's ``submitted_at``: the clock
starts when the customer answers, not when somebody reads the alert, and
weekends count ("within 6 h, even at the weekend").
"""
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    offset: timedelta
    task_type: str  # HubSpot hs_task_type: CALL, EMAIL or TODO
    ask: str        # what the task asks the owner to do

    @property
    def label(self) -> str:
        """What people read: three stages are ``Tracking``, told apart by their day (``Tracking (day 7)``)."""
        day = self.key.rpartition("_d")[2]
        return f"{self.title} (day {day})" if day.isdigit() else self.title


STAGES: tuple[Stage, ...] = (
    Stage("recognition", "Recognition", timedelta(hours=6), "EMAIL",
          "Send a personal acknowledgement naming yourself as owner and promising a call "
          "within 24 h, in the customer's language. Never a generic auto-reply."),
    Stage("empathy", "Empathy call", timedelta(hours=24), "CALL",
          "Call the customer. Listen first (70/30) and note their own words."),
    Stage("action", "Action plan", timedelta(hours=36), "TODO",
          "Write a concrete plan: each action with an owner and a date."),
    Stage("compensation", "Compensation", timedelta(hours=48), "TODO",
          "Ask what the customer values; offer a proportionate gesture only where it fits. "
          "Record its type and amount, or none with the reason."),
    Stage("tracking_d7", "Tracking", timedelta(days=7), "EMAIL",
          "Send a progress update email."),
    Stage("tracking_d14", "Tracking", timedelta(days=14), "CALL",
          "Call to confirm the problem is resolved."),
    Stage("tracking_d30", "Tracking", timedelta(days=30), "EMAIL",
          "Send an informal check-in email: friendly, not formal."),
    Stage("resurvey_d60", "Re-survey", timedelta(days=60), "EMAIL",
          "Ask the customer for a new NPS answer, with an open question on how the recovery went "
          "for them."),
)

STAGE_KEYS: tuple[str, ...] = tuple(stage.key for stage in STAGES)
STAGES_BY_KEY: dict[str, Stage] = {stage.key: stage for stage in STAGES}


def plan(submitted_at: datetime) -> list[tuple[Stage, datetime]]:
    """Each stage with its due time, in protocol order."""
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must carry a UTC offset")
    return [(stage, submitted_at + stage.offset) for stage in STAGES]
