"""Playbooks per detractor profile: which stage asks a profile replaces (``mappings/playbooks.json``).

``disappointed`` follows the standard asks of ``mappings/protocol.json``; ``chronic`` demands a
demonstrable structural change (named owner and date); ``structural`` plans a graceful exit. A
playbook may only name contract stage keys, and every profile has an entry (possibly empty), so a
typo in a profile or stage name stops the app at start instead of silently using the standard ask.
"""
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from marshmallow import Schema, fields, post_load, validate

from connector import mappings
from connector.domain.profile import PROFILES
from connector.domain.react import STAGE_KEYS

Playbooks = Mapping[str, Mapping[str, str]]  # profile -> stage key -> ask


def _asks() -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(STAGE_KEYS)),
                       values=fields.String(validate=validate.Length(min=1, max=1000)), required=True)


class PlaybooksSchema(Schema):
    profiles = fields.Nested(Schema.from_dict({name: _asks() for name in PROFILES}), required=True)

    @post_load
    def make(self, data: Mapping[str, Playbooks], **kwargs: object) -> Playbooks:
        return {profile: dict(asks) for profile, asks in data["profiles"].items()}


def load_playbooks(directory: Path | str | None = None) -> Playbooks:
    return cast(Playbooks, mappings.load("playbooks", PlaybooksSchema(), directory))
