"""Stages as data (``mappings/protocol.json``) and playbooks per profile (``mappings/playbooks.json``):
what an admin may change, what the contract forbids, and the asks each profile gets."""
import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from connector.domain import policies as policy_module
from connector.domain.playbooks import load_playbooks
from connector.domain.react import STAGE_KEYS, load_protocol, plan
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

START = datetime(2026, 11, 20, 16, 37, tzinfo=timezone.utc)


@pytest.fixture
def mappings_dir(tmp_path):
    for name in ("protocol.json", "playbooks.json"):
        shutil.copy(DEFAULT_MAPPINGS_DIR / name, tmp_path / name)
    return tmp_path


def edit(directory, name, change):
    path = directory / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_the_default_protocol_is_the_spec_table():
    protocol = load_protocol()
    assert tuple(stage.key for stage in protocol) == STAGE_KEYS
    assert {s.key: s.task_type for s in protocol} == {
        "recognition": "EMAIL", "empathy": "CALL", "action": "TODO", "compensation": "TODO",
        "tracking_d7": "EMAIL", "tracking_d14": "CALL", "tracking_d30": "EMAIL", "resurvey_d60": "EMAIL"}


def _rename(data):
    data["stages"][1]["key"] = "empathy_call"


def _swap(data):
    data["stages"][4], data["stages"][5] = data["stages"][5], data["stages"][4]


def _drop(data):
    del data["stages"][-1]


def _extra(data):
    data["stages"].append(dict(data["stages"][-1], key="resurvey_d90"))


@pytest.mark.parametrize("change", [_rename, _swap, _drop, _extra], ids=["renamed", "reordered", "missing", "added"])
def test_the_stage_keys_and_their_order_are_contract(mappings_dir, change):
    edit(mappings_dir, "protocol.json", change)
    with pytest.raises(MappingError) as err:
        load_protocol(mappings_dir)
    [message] = err.value.messages["stages"]
    assert "contract" in message and ", ".join(STAGE_KEYS) in message


@pytest.mark.parametrize("stage, field, value, expected", [
    (1, "task_type", "MEETING", "task_type"),
    (1, "offset", {"hours": 6, "days": 1}, "offset"),
    (1, "offset", {}, "offset"),
    (1, "offset", {"hours": 0}, "offset"),
    (1, "offset", {"minutes": 30}, "offset"),
    (7, "offset", {"days": 400}, "offset"),
    (1, "offset", {"hours": "24"}, "offset"),
    (2, "ask", "", "ask"),
    (2, "title", "", "title"),
    (2, "colour", "red", "colour"),
])
def test_a_bad_stage_is_refused_with_its_field_named(mappings_dir, stage, field, value, expected):
    edit(mappings_dir, "protocol.json", lambda data: data["stages"][stage].__setitem__(field, value))
    with pytest.raises(MappingError) as err:
        load_protocol(mappings_dir)
    assert expected in err.value.messages["stages"][stage]


def test_offsets_task_types_titles_and_asks_are_the_admins(mappings_dir):
    def change(data):
        data["stages"][1].update(offset={"hours": 12}, task_type="EMAIL", title="Personal email")
        data["stages"][4].update(offset={"days": 5}, task_type="CALL", ask="Call with the progress.")
    edit(mappings_dir, "protocol.json", change)
    protocol = load_protocol(mappings_dir)
    due = {stage.key: (at - START, stage.task_type) for stage, at in plan(protocol, START)}
    assert due["empathy"] == (timedelta(hours=12), "EMAIL")
    assert due["tracking_d7"] == (timedelta(days=5), "CALL")
    assert protocol["empathy"].label == "Personal email" and protocol["tracking_d7"].label == "Tracking (day 7)"
    assert protocol["tracking_d7"].ask == "Call with the progress."


@pytest.mark.parametrize("change, field", [
    (lambda d: d["profiles"].__setitem__("angry", {}), "angry"),
    (lambda d: d["profiles"].pop("chronic"), "chronic"),
    (lambda d: d["profiles"]["chronic"].__setitem__("action_plan", "x"), "chronic"),
    (lambda d: d["profiles"]["structural"].__setitem__("action", ""), "structural"),
])
def test_a_bad_playbook_is_refused_with_its_field_named(mappings_dir, change, field):
    edit(mappings_dir, "playbooks.json", change)
    with pytest.raises(MappingError) as err:
        load_playbooks(mappings_dir)
    assert field in err.value.messages["profiles"]


POLICIES = policy_module.load_policies()
STANDARD = {stage.key: stage.ask for stage in POLICIES.protocol}


@pytest.mark.parametrize("profile, stage, wanted", [
    ("disappointed", "action", STANDARD["action"]),
    (None, "action", STANDARD["action"]),
    ("structural", "action", "graceful exit"),
    ("chronic", "action", "demonstrable structural change"),
    ("chronic", "action", "named owner"),
    ("chronic", "action", "a date"),
    ("disappointed", "resurvey_d60", "open question on how the recovery went"),
    ("chronic", "resurvey_d60", "open question on how the recovery went"),
    ("structural", "resurvey_d60", "open question on how the recovery went"),
    ("structural", "empathy", STANDARD["empathy"]),
    ("disappointed", "tracking_d30", "informal check-in email"),
])
def test_each_profile_gets_its_playbooks_asks(profile, stage, wanted):
    asks = policy_module.stage_asks(profile, "standard", POLICIES)
    assert set(asks) == set(STAGE_KEYS)
    assert wanted in asks[stage]


def test_the_compensation_ask_follows_the_tier_and_the_structural_gesture():
    asks = {profile: policy_module.stage_asks(profile, "high", POLICIES)["compensation"]
            for profile in ("disappointed", "chronic", "structural")}
    assert asks["disappointed"] == asks["chronic"] and POLICIES.compensation.tiers["high"].offer in asks["chronic"]
    assert POLICIES.compensation.structural.offer in asks["structural"]
