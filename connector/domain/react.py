"""The REACT recovery protocol (contract: stage keys and their order).

The stages themselves are data (``mappings/protocol.json``): each stage's title,
due offset, HubSpot task type and ask are the admin's; the eight keys and their
order are the contract the CRM properties, the API and the metrics rely on, so a
file that renames, drops or reorders one is refused at start-up.

Offsets are calendar time from the customer's ``submitted_at``: the clock
starts when the customer answers, not when somebody reads the alert, and
weekends count ("within 6 h, even at the weekend"). Only when an admin puts the
call stages on the account's business hours does a call's due time roll forward
to the schedule's next opening (``business_hours``); recognition never does.
"""
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain.business_hours import Schedule, roll_forward

STAGE_KEYS: tuple[str, ...] = ("recognition", "empathy", "action", "compensation",
                               "tracking_d7", "tracking_d14", "tracking_d30", "resurvey_d60")
TASK_TYPES = ("CALL", "EMAIL", "TODO")  # HubSpot hs_task_type values
CALENDAR_ONLY = frozenset({"recognition"})  # "within 6 h, even at the weekend"


def stage_label(key: str, title: str) -> str:
    """What people read: three stages are ``Tracking``, told apart by their day (``Tracking (day 7)``)."""
    day = key.rpartition("_d")[2]
    return f"{title} (day {day})" if day.isdigit() else title


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    offset: timedelta
    task_type: str  # HubSpot hs_task_type: CALL, EMAIL or TODO
    ask: str        # what the task asks the owner to do

    @property
    def label(self) -> str:
        return stage_label(self.key, self.title)

    @property
    def follows_business_hours(self) -> bool:
        """A call may wait for the next opening; recognition is due on calendar hours always."""
        return self.task_type == "CALL" and self.key not in CALENDAR_ONLY


@dataclass(frozen=True)
class ReactProtocol:
    """The eight stages as the admin configured them, in contract order."""
    stages: tuple[Stage, ...]

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def __getitem__(self, key: str) -> Stage:
        return self.by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    @cached_property
    def by_key(self) -> Mapping[str, Stage]:
        return {stage.key: stage for stage in self.stages}


_MAX_OFFSET = timedelta(days=365)


class _OffsetSchema(Schema):
    """``{"hours": 6}`` or ``{"days": 7}``: exactly one unit."""
    hours = fields.Integer(strict=True, validate=validate.Range(min=1))
    days = fields.Integer(strict=True, validate=validate.Range(min=1))

    @validates_schema
    def _one_unit(self, data: Mapping[str, int], **kwargs: object) -> None:
        if len(data) != 1:
            raise ValidationError("give exactly one of hours or days")
        if timedelta(**data) > _MAX_OFFSET:
            raise ValidationError("at most 365 days after the answer")

    @post_load
    def make(self, data: Mapping[str, int], **kwargs: object) -> timedelta:
        return timedelta(**data)


class _StageSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    offset = fields.Nested(_OffsetSchema, required=True)
    task_type = fields.String(required=True, validate=validate.OneOf(TASK_TYPES))
    ask = fields.String(required=True, validate=validate.Length(min=1, max=1000))

    @post_load
    def make(self, data: Mapping[str, Any], **kwargs: object) -> Stage:
        return Stage(**data)


class ProtocolSchema(Schema):
    stages = fields.List(fields.Nested(_StageSchema), required=True)

    @validates_schema(skip_on_field_errors=True)
    def _contract_keys(self, data: Mapping[str, list[Stage]], **kwargs: object) -> None:
        keys = tuple(stage.key for stage in data["stages"])
        if keys != STAGE_KEYS:
            raise ValidationError(f"the stage keys are contract: exactly {', '.join(STAGE_KEYS)}, in this "
                                  f"order (found {', '.join(keys) or 'none'})", "stages")

    @post_load
    def make(self, data: Mapping[str, list[Stage]], **kwargs: object) -> ReactProtocol:
        return ReactProtocol(tuple(data["stages"]))


def load_protocol(directory: Path | str | None = None) -> ReactProtocol:
    return cast(ReactProtocol, mappings.load("protocol", ProtocolSchema(), directory))


def plan(protocol: ReactProtocol, submitted_at: datetime,
         schedule: Schedule | None = None) -> list[tuple[Stage, datetime]]:
    """Each stage with its due time, in protocol order; with a ``schedule`` (the admin put the
    calls on business hours), a call due outside it is due at its next opening instead."""
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must carry a UTC offset")
    planned = []
    for stage in protocol:
        due = submitted_at + stage.offset
        if schedule is not None and stage.follows_business_hours:
            due = roll_forward(due, schedule)
        planned.append((stage, due))
    return planned
