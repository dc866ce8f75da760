"""Owner by value tier, never the agent who handled the complained-about ticket."""
import copy
import json

import pytest

from connector.domain.routing import Routing, RoutingError, load_routing, route
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

ROUTING = load_routing()
RAW = json.loads((DEFAULT_MAPPINGS_DIR / "routing.json").read_text(encoding="utf-8"))


@pytest.fixture
def load(tmp_path):
    def load(raw):
        (tmp_path / "routing.json").write_text(json.dumps(raw), encoding="utf-8")
        return load_routing(tmp_path)
    return load


@pytest.fixture
def errors(load):
    def errors(mutate):
        raw = copy.deepcopy(RAW)
        mutate(raw)
        with pytest.raises(MappingError) as error:
            load(raw)
        return error.value.messages
    return errors


@pytest.mark.parametrize("tier,name", [("critical", "Claire Martin"), ("high", "Sophie Bernard"),
                                       ("standard", "Julien Petit")])
def test_each_tier_routes_to_its_first_owner(tier, name):
    owner = route(tier, excluded_agent_email=None, routing=ROUTING)
    assert owner.name == name


def test_owner_carries_zendesk_and_hubspot_targets():
    owner = route("critical", excluded_agent_email="junior@example.com", routing=ROUTING)
    assert (owner.email, owner.zendesk_assignee_email, owner.zendesk_group_id, owner.hubspot_owner) == (
        "claire.martin@example.com", "claire.martin@example.com", 1001, "claire.martin@example.com")


@pytest.mark.parametrize("excluded", ["sophie.bernard@example.com", " Sophie.Bernard@EXAMPLE.com "])
def test_excluded_agent_gets_the_fallback(excluded):
    assert route("high", excluded_agent_email=excluded, routing=ROUTING).name == "Claire Martin"


def test_exclusion_matches_any_of_the_owners_addresses(load):
    raw = copy.deepcopy(RAW)
    first = raw["tiers"]["standard"]["owners"][0]
    first["zendesk_assignee_email"] = "jp@support.example.com"
    first["hubspot_owner"] = "jp@sales.example.com"
    routing = load(raw)
    for address in ("jp@support.example.com", "jp@sales.example.com"):
        assert route("standard", excluded_agent_email=address, routing=routing).name == "Sophie Bernard"


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="value tier"):
        route("vip", excluded_agent_email=None, routing=ROUTING)


def test_all_owners_excluded_raises_instead_of_falling_to_a_queue():
    owner = ROUTING.tiers["high"][0]
    routing = Routing({"high": (owner, owner)})  # only constructible by hand, the schema forbids it
    with pytest.raises(RoutingError):
        route("high", excluded_agent_email=owner.email, routing=routing)


def test_missing_tier_is_named(errors):
    assert errors(lambda raw: raw["tiers"].pop("standard")) == {
        "tiers": {"standard": ["Missing data for required field."]}}


def test_bad_email_is_named(errors):
    def mutate(raw):
        raw["tiers"]["high"]["owners"][0]["email"] = "not-an-email"
    assert errors(mutate) == {"tiers": {"high": {"owners": {0: {"email": ["Not a valid email address."]}}}}}


def test_owner_without_zendesk_target_is_named(errors):
    def mutate(raw):
        owner = raw["tiers"]["critical"]["owners"][1]
        owner.pop("zendesk_assignee_email")
        owner.pop("zendesk_group_id")
    messages = errors(mutate)
    assert "zendesk_assignee_email" in messages["tiers"]["critical"]["owners"][1]


def test_group_alone_is_enough_for_zendesk(load):
    raw = copy.deepcopy(RAW)
    raw["tiers"]["critical"]["owners"][0].pop("zendesk_assignee_email")
    owner = route("critical", excluded_agent_email=None, routing=load(raw))
    assert (owner.zendesk_assignee_email, owner.zendesk_group_id) == (None, 1001)


@pytest.mark.parametrize("value", ["", "owner 12", "12a", "@example.com"])
def test_bad_hubspot_owner_is_named(value, errors):
    def mutate(raw):
        raw["tiers"]["standard"]["owners"][0]["hubspot_owner"] = value
    assert "hubspot_owner" in errors(mutate)["tiers"]["standard"]["owners"][0]


def test_numeric_hubspot_owner_id_is_accepted(load):
    raw = copy.deepcopy(RAW)
    raw["tiers"]["standard"]["owners"][0]["hubspot_owner"] = "123456"
    assert route("standard", excluded_agent_email=None, routing=load(raw)).hubspot_owner == "123456"


def test_a_tier_needs_a_fallback(errors):
    messages = errors(lambda raw: raw["tiers"]["high"]["owners"].pop())
    assert "owners" in messages["tiers"]["high"]


def test_fallback_must_be_another_person(errors):
    def mutate(raw):
        owners = raw["tiers"]["high"]["owners"]
        owners[1] = dict(owners[0], name="Same Person Again")
    assert errors(mutate) == {"tiers": {"high": {"owners": [
        "each owner of a tier must be a different person"]}}}


def test_unknown_key_is_named(errors):
    def mutate(raw):
        raw["tiers"]["high"]["owners"][0]["queue"] = "tier-1"
    assert errors(mutate) == {"tiers": {"high": {"owners": {0: {"queue": ["Unknown field."]}}}}}
