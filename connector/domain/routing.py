"""Who owns a recovery case: a named senior person per value tier.

``mappings/routing.json`` lists, for each value tier, owners in order of
preference (executive for ``critical``, customer-success lead for ``high``,
senior manager for ``standard``). The first is the usual owner; the next ones
are fallbacks, used when the first is the agent who handled the ticket the
customer complained about: the spec forbids routing a complaint back to them.

Every owner is a named person with an email (never just a queue), and each
tier must list at least two distinct people so that one exclusion can always
be honoured; the mapping is refused at start-up otherwise.
"""
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from connector import mappings
from connector.domain.rules import VALUE_TIERS

_HUBSPOT_OWNER = re.compile(r"^(\d+|[^@\s]+@[^@\s]+\.[^@\s]+)$")  # owner id or owner email


@dataclass(frozen=True)
class Owner:
    name: str
    email: str
    zendesk_assignee_email: str | None
    zendesk_group_id: int | None
    hubspot_owner: str  # HubSpot owner id, or the owner's email (the adapter resolves it)

    def is_person(self, email: str) -> bool:
        wanted = email.strip().casefold()
        known = (self.email, self.zendesk_assignee_email, self.hubspot_owner)
        return any(value and value.strip().casefold() == wanted for value in known)


@dataclass(frozen=True)
class Routing:
    tiers: Mapping[str, tuple[Owner, ...]]  # value tier -> owners, preferred first


class RoutingError(Exception):
    """No configured owner of the tier is eligible (cannot happen with a valid mapping)."""


class _OwnerSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    zendesk_assignee_email = fields.Email(load_default=None)
    zendesk_group_id = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1))
    hubspot_owner = fields.String(required=True, validate=validate.Regexp(
        _HUBSPOT_OWNER, error="must be a HubSpot owner id (digits) or an email"))

    @validates_schema
    def _somewhere_in_zendesk(self, data: Mapping[str, Any], **kwargs: object) -> None:
        if data.get("zendesk_assignee_email") is None and data.get("zendesk_group_id") is None:
            raise ValidationError("give zendesk_assignee_email or zendesk_group_id (or both)",
                                  "zendesk_assignee_email")

    @post_load
    def make(self, data: Mapping[str, Any], **kwargs: object) -> Owner:
        return Owner(**data)


class _TierSchema(Schema):
    owners = fields.List(fields.Nested(_OwnerSchema), required=True,
                         validate=validate.Length(min=2, error="list at least two owners: the "
                                                  "first, and a fallback for when the first is excluded"))

    @validates_schema
    def _distinct(self, data: Mapping[str, Any], **kwargs: object) -> None:
        emails = [owner.email.casefold() for owner in data.get("owners", [])]
        if len(set(emails)) != len(emails):
            raise ValidationError("each owner of a tier must be a different person", "owners")


class RoutingSchema(Schema):
    tiers = fields.Nested(Schema.from_dict({tier: fields.Nested(_TierSchema, required=True)
                                            for tier in VALUE_TIERS}), required=True)

    @post_load
    def make(self, data: Mapping[str, Any], **kwargs: object) -> Routing:
        return Routing({tier: tuple(data["tiers"][tier]["owners"]) for tier in VALUE_TIERS})


def as_mapping(routing: Routing) -> dict[str, Any]:
    """``routing`` in the file's own format (what ``RoutingSchema`` loads)."""
    return {"tiers": {tier: {"owners": [dataclasses.asdict(owner) for owner in owners]}
                      for tier, owners in routing.tiers.items()}}


def load_routing(directory: Path | str | None = None) -> Routing:
    return cast(Routing, mappings.load("routing", RoutingSchema(), directory))


def route(value_tier: str, *, excluded_agent_email: str | None, routing: Routing) -> Owner:
    """The tier's first owner who is not the excluded agent (matched on any of their emails)."""
    if value_tier not in routing.tiers:
        raise ValueError(f"unknown value tier {value_tier!r}")
    for owner in routing.tiers[value_tier]:
        if not excluded_agent_email or not owner.is_person(excluded_agent_email):
            return owner
    raise RoutingError(f"every owner of tier {value_tier!r} is excluded")


def hubspot_owner_of(email: str, routing: Routing) -> str:
    """The HubSpot owner (id or e-mail) of a routed owner known by e-mail; the e-mail itself for
    anyone routing does not list (HubSpot is then asked for the owner of that e-mail)."""
    return next((owner.hubspot_owner for owners in routing.tiers.values() for owner in owners
                 if owner.is_person(email)), email)
