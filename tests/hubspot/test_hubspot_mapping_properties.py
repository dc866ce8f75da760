"""Mapping validation and the pure snapshot → HubSpot JSON translation."""
import json
from datetime import timedelta

import pytest
from hubspot_helpers import SUBMITTED, make_answer, make_case

from connector.domain.causes import load_cause_rules
from connector.domain.react import STAGE_KEYS
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError
from connector.ports.keys import task_keys_in, task_natural_key
from connector.providers.hubspot.mapping import load_hubspot_mapping
from connector.providers.hubspot.properties import contact_properties, stage_tasks

NPS_KEYS = {"nps_last_score", "nps_last_category", "nps_last_response_at", "nps_last_comment"}
CSAT_KEYS = {key.replace("nps_", "csat_") for key in NPS_KEYS}


def write_mapping(tmp_path, change):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "hubspot.json").read_text(encoding="utf-8"))
    change(raw)
    (tmp_path / "hubspot.json").write_text(json.dumps(raw), encoding="utf-8")
    return tmp_path


def test_default_mapping_covers_the_spec(mapping):
    assert mapping.group_name == "nps_recovery"
    assert set(mapping.contact_properties) == NPS_KEYS | CSAT_KEYS | {
        "recovery_incident_open", "recovery_profile", "recovery_priority", "recovery_stage",
        "recovery_next_due_at", "recovery_outcome", "recovery_zendesk_ticket_url", "recovery_cause"}
    cause = mapping.contact_properties["recovery_cause"]  # contract name; options: the taxonomy's keys
    assert (cause.name, cause.type) == ("recovery_cause", "enumeration")
    assert [v for v, _ in cause.options] == list(load_cause_rules().keys)
    assert dict(mapping.task_priority) == {"urgent": "HIGH", "high": "HIGH", "normal": "MEDIUM", "low": "LOW"}
    stage = mapping.contact_properties["recovery_stage"]
    assert [v for v, _ in stage.options] == list(STAGE_KEYS) + ["closed"]
    body = mapping.contact_properties["recovery_incident_open"].create_body("nps_recovery")
    assert (body["type"], body["fieldType"], body["groupName"]) == ("bool", "booleancheckbox", "nps_recovery")
    assert {o["value"] for o in body["options"]} == {"true", "false"}


@pytest.mark.parametrize("change, path", [
    (lambda m: m["contact_properties"]["recovery_stage"]["options"].pop(), ("recovery_stage", "options")),
    (lambda m: m["contact_properties"]["nps_last_score"].update(fieldType="text"), ("nps_last_score", "fieldType")),
    (lambda m: m["contact_properties"]["nps_last_score"].update(type="string", fieldType="text"),
     ("nps_last_score", "type")),
    (lambda m: m["contact_properties"]["nps_last_comment"].update(name="Last Comment"), ("nps_last_comment", "name")),
    (lambda m: m["contact_properties"].pop("recovery_outcome"), ("recovery_outcome",)),
    (lambda m: m["contact_properties"]["recovery_profile"].update(name="recovery_stage"),
     ("recovery_stage", "name")),
])
def test_mapping_errors_name_the_field(tmp_path, change, path):
    with pytest.raises(MappingError) as caught:
        load_hubspot_mapping(write_mapping(tmp_path, change))
    node = caught.value.messages["contact_properties"]
    for part in path:
        node = node[part]
    assert node


def test_mapping_errors_on_task_priority_and_subject(tmp_path):
    def change(raw):
        raw["task_priority"]["urgent"] = "ASAP"
        raw["task_subject"] = "Recovery {stage} {email}"
    with pytest.raises(MappingError) as caught:
        load_hubspot_mapping(write_mapping(tmp_path, change))
    assert set(caught.value.messages) == {"task_priority", "task_subject"}


def test_renamed_properties_are_written_under_their_hubspot_name(tmp_path):
    renamed = load_hubspot_mapping(write_mapping(
        tmp_path, lambda m: m["contact_properties"]["recovery_stage"].update(name="x_recovery_step")))
    props = contact_properties(make_answer(), make_case(), renamed)
    assert props["x_recovery_step"] == "recognition" and "recovery_stage" not in props


def test_promoter_answer_sets_only_nps_properties(mapping):
    props = contact_properties(make_answer(score=10, category="promoter", comment=None), None, mapping)
    assert set(props) == NPS_KEYS
    assert props["nps_last_score"] == "10" and props["nps_last_category"] == "promoter"
    assert props["nps_last_comment"] == ""
    assert props["nps_last_response_at"] == "2026-11-20T15:37:00.000Z"


def test_a_csat_answer_lands_on_the_csat_properties_and_leaves_nps_alone(mapping):
    props = contact_properties(make_answer(score=5, category="promoter", comment="Rapide", survey_type="csat"),
                               None, mapping)
    assert set(props) == CSAT_KEYS
    assert (props["csat_last_score"], props["csat_last_category"], props["csat_last_comment"]) == \
        ("5", "promoter", "Rapide")


def test_the_newest_interim_answer_of_each_type_is_the_contacts_last(mapping):
    day = timedelta(days=1)
    nps_interim = make_answer(score=9, category="promoter", answer_id=3, submitted_at=SUBMITTED + 12 * day)
    csat_interim = make_answer(score=4, category="promoter", answer_id=4, submitted_at=SUBMITTED + 13 * day,
                               survey_type="csat")
    case = make_case(latest_answers=(csat_interim, nps_interim))
    props = contact_properties(case.answer, case, mapping)  # a stage update re-sends the opening answer
    assert props["nps_last_score"] == "9"       # not the opening 3: the interim NPS came after
    assert props["csat_last_score"] == "4"
    assert props["recovery_incident_open"] == "true"


def test_open_case_sets_the_incident_and_next_stage(mapping):
    case = make_case(done=("recognition",))
    props = contact_properties(case.answer, case, mapping, ticket_url="https://acme.zendesk.com/agent/tickets/7")
    assert props["recovery_incident_open"] == "true"
    assert props["recovery_stage"] == "empathy"
    assert props["recovery_next_due_at"] == "2026-11-21T15:37:00.000Z"
    assert (props["recovery_profile"], props["recovery_priority"], props["recovery_outcome"]) == \
        ("chronic", "urgent", "")
    assert props["recovery_zendesk_ticket_url"].endswith("/tickets/7")


def test_closed_case_clears_the_incident_and_writes_the_outcome(mapping):
    later = make_answer(score=9, category="promoter", answer_id=2, submitted_at=SUBMITTED + timedelta(days=3))
    case = make_case(status="closed", outcome="promoter")
    props = contact_properties(later, case, mapping)
    assert props["recovery_incident_open"] == "false"
    assert (props["recovery_stage"], props["recovery_next_due_at"]) == ("closed", "")
    assert props["recovery_outcome"] == "promoter" and props["nps_last_score"] == "9"
    assert "recovery_zendesk_ticket_url" not in props   # unknown: left alone, not cleared


def test_stage_tasks_follow_the_protocol(mapping):
    case = make_case(done=("recognition",))
    inputs = stage_tasks(case, "1001", mapping, owner_id="70000001")
    assert len(inputs) == len(STAGE_KEYS) == 8
    for task, stage in zip(inputs, case.stages):
        props = task["properties"]
        assert props["hs_timestamp"] == stage.due_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert props["hs_task_type"] == stage.task_type
        assert props["hs_task_priority"] == "HIGH"
        assert props["hubspot_owner_id"] == "70000001"
        assert task["associations"] == [{"to": {"id": "1001"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]
        assert task["objectWriteTraceId"] == task_natural_key(42, stage.key)
        assert task_keys_in(props["hs_task_body"]) == {task_natural_key(42, stage.key)}
        assert stage.ask.split(".")[0] in props["hs_task_body"]
    assert inputs[0]["properties"]["hs_task_status"] == "COMPLETED"
    assert {t["properties"]["hs_task_status"] for t in inputs[1:]} == {"NOT_STARTED"}
    assert inputs[1]["properties"]["hs_task_subject"] == "Recovery · Empathy call — Marie Dubois"
    assert inputs[4]["properties"]["hs_task_subject"] == "Recovery · Tracking (day 7) — Marie Dubois"


def test_stage_tasks_without_owner_and_priority_from_the_map(mapping):
    case = make_case(hubspot_priority="", priority="normal")
    inputs = stage_tasks(case, "1001", mapping, owner_id=None)
    assert all("hubspot_owner_id" not in t["properties"] for t in inputs)
    assert {t["properties"]["hs_task_priority"] for t in inputs} == {"MEDIUM"}


def test_natural_keys_are_matched_exactly():
    assert task_keys_in("<p>Recovery ref: recovery-42-empathy</p>") == {"recovery-42-empathy"}
    assert task_keys_in("recovery-420-empathy recovery-4-empathyx") == {"recovery-420-empathy", "recovery-4-empathyx"}
    assert "recovery-42-empathy" not in task_keys_in("recovery-420-empathy")
    assert task_keys_in(None) == set()
