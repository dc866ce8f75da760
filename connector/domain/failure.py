"""Failure analysis: why a recovery ended ``partial`` or ``failed``, asked of the case's owner.

The reasons are data (``mappings/failure.json``): a key per reason, with the label the sidebar
shows. The owner records one key, plus a note (required for ``other``, so "other" never hides a
reason nobody can read). The closing task's wording and delay are data too.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain.outcome import REOPENING

FAILED_OUTCOMES = REOPENING  # a case closed still a detractor: its owner is asked why
MISSING = "missing"          # the report's count of those cases with no reason recorded yet
OTHER = "other"
_KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$", error="a reason key is 1-32 of a-z, 0-9 and _, "
                                                        "starting with a letter")


@dataclass(frozen=True)
class FailureRules:
    reasons: Mapping[str, str]  # key -> label, in the order the sidebar offers them
    due_in_days: int            # the closing task is due this long after the case closed
    subject: str                # placeholders: {case_id} {customer} {outcome} {reasons}
    body: str


class _ClosingTaskSchema(Schema):
    due_in_days = fields.Integer(required=True, validate=validate.Range(min=0, max=60))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class FailureRulesSchema(Schema):
    reasons = fields.Dict(keys=fields.String(validate=_KEY),
                          values=fields.String(validate=validate.Length(min=1, max=200)),
                          required=True, validate=validate.Length(min=1, max=50))
    closing_task = fields.Nested(_ClosingTaskSchema, required=True)

    @validates_schema
    def _placeholders(self, data: dict[str, Any], **kwargs: object) -> None:
        task = data.get("closing_task") or {}
        for name in ("subject", "body"):
            try:
                closing_text(task.get(name, ""), case_id=1, customer="x", outcome="failed", reasons=("x",))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValidationError({name: [f"unknown placeholder {exc}"]}, "closing_task") from None

    @post_load
    def make(self, data: dict[str, Any], **kwargs: object) -> FailureRules:
        task = data["closing_task"]
        return FailureRules(reasons=dict(data["reasons"]), due_in_days=task["due_in_days"],
                            subject=task["subject"], body=task["body"])


def load_failure_rules(directory: Path | str | None = None) -> FailureRules:
    return cast(FailureRules, mappings.load("failure", FailureRulesSchema(), directory))


def closing_text(template: str, *, case_id: int, customer: str, outcome: str, reasons: tuple[str, ...]) -> str:
    return template.format(case_id=case_id, customer=customer, outcome=outcome, reasons=", ".join(reasons))


def closing_task_due(closed_at: datetime, rules: FailureRules) -> datetime:
    return closed_at + timedelta(days=rules.due_in_days)


def asks_for_reason(outcome: str | None) -> bool:
    return outcome in FAILED_OUTCOMES


def reason_request(case_id: int, reasons: Mapping[str, str]) -> str:
    """The line of the Zendesk outcome note that asks the owner for the reason."""
    return (f"Owner: please record why this recovery failed (one of {', '.join(reasons)}) in the recovery "
            f"sidebar of this ticket, or with POST /api/cases/{case_id}/failure-reason.")


class FailureReason(TypedDict):
    reason: str
    note: str | None


class FailureReasonSchema(Schema):
    """What the owner records: ``reason`` one of the configured keys, ``note`` free text."""

    reason = fields.String(required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=1000))

    def __init__(self, rules: FailureRules, **kwargs: Any):
        super().__init__(**kwargs)
        self.fields["reason"].validators = [validate.OneOf(
            list(rules.reasons), error="must be one of: {choices}")]

    @validates_schema
    def _other_says_which(self, data: dict[str, Any], **kwargs: object) -> None:
        if data.get("reason") == OTHER and not (data.get("note") or "").strip():
            raise ValidationError("say which reason in the note when the reason is 'other'", "note")

    @post_load
    def _trim(self, data: dict[str, Any], **kwargs: object) -> FailureReason:
        note = (data.get("note") or "").strip() or None
        return {"reason": data["reason"], "note": note}
