"""Survey sources by vendor name, and their mappings validated at start-up."""
from pathlib import Path

from connector.inbound.sources.delighted import DelightedSource
from connector.inbound.sources.formbricks import FormbricksSource
from connector.inbound.sources.generic import GenericSource
from connector.inbound.sources.hubspot import HubSpotSource
from connector.inbound.sources.surveymonkey import SurveyMonkeySource
from connector.inbound.sources.typeform import TypeformSource
from connector.inbound.sources.zendesk import ZendeskSource
from connector.mappings import DEFAULT_MAPPINGS_DIR, load

SOURCES = {source.name: source for source in (
    GenericSource(), TypeformSource(), SurveyMonkeySource(), DelightedSource(),
    FormbricksSource(), ZendeskSource(), HubSpotSource())}


def get(name: str):
    return SOURCES.get(name)


def load_mappings(directory=None) -> dict:
    """``mappings/surveys/<vendor>.json`` for every vendor (raises MappingError naming the field).

    A missing file means the vendor's documented conventions (the schema defaults).
    """
    base = Path(directory or DEFAULT_MAPPINGS_DIR)
    loaded = {}
    for name, source in SOURCES.items():
        if source.mapping_schema is None:
            continue
        if (base / "surveys" / f"{name}.json").exists():
            loaded[name] = load(f"surveys/{name}", source.mapping_schema(), base)
        else:
            loaded[name] = source.default_mapping()
    return loaded
