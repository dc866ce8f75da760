"""What the recovery ticket looks like in Zendesk, as admins configure it.

``mappings/zendesk.json`` holds string templates with ``{placeholder}`` names
taken from the case (see ``PLACEHOLDERS``). Every template is checked at load
time, so a typo names its field at start-up instead of failing a sync later.
"""
import dataclasses
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from marshmallow import Schema, ValidationError, fields, post_load, validate

from connector.domain.causes import CauseRules, causes_beside
from connector.mappings import load
from connector.ports import keys

PRIORITIES = ("urgent", "high", "normal", "low")
TICKET_TYPES = ("task", "problem", "incident", "question")
PLACEHOLDERS = frozenset({
    "case_id", "customer_name", "company", "survey_type", "score", "category",
    "severity", "profile", "value_tier", "priority",
})
DEFAULT_TAGS = ("nps_detractor", "recovery_{profile}", "value_{value_tier}", "severity_{severity}")
CAUSE_TAG_PREFIX = "cause_"  # contract (SPEC "Root causes"): the ticket's tag is cause_<key>
CAUSE_FIELD_TITLE = "Recovery cause"  # the drop-down the connector creates if missing
_NO_SPACE = re.compile(r"^[^\s,]+$")  # Zendesk splits tags on spaces and commas


def placeholders(template: str) -> set[str]:
    """Names used by ``template``; raises ValueError on broken braces."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _template(*, required: frozenset = frozenset(), allowed: frozenset = PLACEHOLDERS,
              no_space: bool = False):
    def check(value: str) -> None:
        try:
            names = placeholders(value)
        except ValueError as exc:
            raise ValidationError(f"not a valid template: {exc}") from None
        unknown = names - allowed
        if unknown:
            raise ValidationError(
                f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        if required - names:
            raise ValidationError(f"must contain {{{'}, {'.join(sorted(required))}}}")
        if no_space and not _NO_SPACE.match(value):
            raise ValidationError("must not contain spaces or commas")
    return check


@dataclass(frozen=True)
class ZendeskMapping:
    ticket_type: str
    subject: str
    external_id: str
    tags: tuple[str, ...]
    priorities: Mapping[str, str]   # case priority -> Zendesk priority name
    stage_done_tag: str = "recovery_done_{stage}"  # an agent adds it to mark a stage done
    churn_risk_tag: str = "churn_risk"  # on the ticket of a customer leaving for a same-category competitor
    # The cause drop-down's options, (tag, English label): a tagger option's value IS its tag.
    cause_options: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def cause_tag(cause_key: str) -> str:
        return f"{CAUSE_TAG_PREFIX}{cause_key}"

    def cause_of_tag(self, tag: str) -> str | None:
        """The taxonomy key a ``cause_<key>`` tag names, or None (another tag, or an unknown key)."""
        return tag[len(CAUSE_TAG_PREFIX):] if tag in {t for t, _ in self.cause_options} else None

    def done_tag(self, stage_key: str) -> str:
        return self.stage_done_tag.format(stage=stage_key)

    def stage_of_tag(self, tag: str) -> str | None:
        """The stage key a done tag names, or None for any other tag."""
        prefix, _, suffix = self.stage_done_tag.partition("{stage}")
        if tag.startswith(prefix) and tag.endswith(suffix) and len(tag) > len(prefix) + len(suffix):
            return tag[len(prefix):len(tag) - len(suffix)]
        return None

    def ticket_external_id(self, case_id: int) -> str:
        return keys.ticket_external_id(case_id, self.external_id)

    def followup_external_id(self, case_id: int, number: int) -> str:
        return keys.followup_external_id(case_id, number, self.external_id)

    def case_id_of(self, external_id: str | None) -> int | None:
        """The case a recovery ticket (or one of its follow-ups) belongs to."""
        return keys.case_id_of(external_id, self.external_id)


class ZendeskMappingSchema(Schema):
    """Unknown keys are rejected (marshmallow's default), naming the key."""

    ticket_type = fields.String(load_default="task", validate=validate.OneOf(TICKET_TYPES))
    subject = fields.String(load_default="Recovery #{case_id}: {customer_name}",
                            validate=[validate.Length(min=1, max=150), _template()])
    external_id = fields.String(
        load_default=keys.TICKET_EXTERNAL_ID,
        validate=[validate.Length(min=1, max=200),
                  _template(required=frozenset({"case_id"}), allowed=frozenset({"case_id"}),
                            no_space=True)])
    tags = fields.List(fields.String(validate=[validate.Length(min=1, max=80),
                                               _template(no_space=True)]),
                       load_default=list(DEFAULT_TAGS))
    stage_done_tag = fields.String(
        load_default="recovery_done_{stage}",
        validate=[validate.Length(min=1, max=80),
                  _template(required=frozenset({"stage"}), allowed=frozenset({"stage"}), no_space=True)])
    churn_risk_tag = fields.String(
        load_default="churn_risk",
        validate=[validate.Length(min=1, max=80), _template(allowed=frozenset(), no_space=True)])
    priorities = fields.Dict(keys=fields.String(validate=validate.OneOf(PRIORITIES)),
                             values=fields.String(validate=validate.OneOf(PRIORITIES)),
                             load_default=lambda: {p: p for p in PRIORITIES})

    @post_load
    def make(self, data, **kwargs) -> ZendeskMapping:
        missing = [p for p in PRIORITIES if p not in data["priorities"]]
        if missing:
            raise ValidationError(f"missing priority name(s) for {missing}", "priorities")
        return ZendeskMapping(
            ticket_type=data["ticket_type"],
            subject=data["subject"],
            external_id=data["external_id"],
            tags=tuple(data["tags"]),
            priorities=MappingProxyType(dict(data["priorities"])),
            stage_done_tag=data["stage_done_tag"],
            churn_risk_tag=data["churn_risk_tag"],
        )


def with_causes(mapping: ZendeskMapping, causes: CauseRules) -> ZendeskMapping:
    return dataclasses.replace(mapping, cause_options=tuple(
        (mapping.cause_tag(cause.key), cause.labels["en"]) for cause in causes.causes))


def load_zendesk_mapping(directory: Path | str | None = None) -> ZendeskMapping:
    """Load and validate ``<directory>/zendesk.json`` and the cause taxonomy beside it (raises
    ``MappingError``)."""
    return with_causes(load("zendesk", ZendeskMappingSchema(), directory), causes_beside(directory))
