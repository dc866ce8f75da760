"""mappings/zendesk.json is validated at load; a mistake names its field."""
import json

import pytest

from connector.mappings import MappingError
from connector.providers.zendesk.mapping import load_zendesk_mapping


def write(tmp_path, content):
    path = tmp_path / "zendesk.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return tmp_path


def test_shipped_mapping_has_the_spec_defaults():
    mapping = load_zendesk_mapping()
    assert mapping.tags == ("nps_detractor", "recovery_{profile}", "value_{value_tier}",
                            "severity_{severity}")
    assert mapping.external_id == "recovery-{case_id}"
    assert mapping.ticket_type == "task"
    assert dict(mapping.priorities) == {p: p for p in ("urgent", "high", "normal", "low")}
    assert mapping.churn_risk_tag == "churn_risk"


def test_renamed_tags_load(tmp_path):
    mapping = load_zendesk_mapping(write(tmp_path, {"tags": ["detracteur", "profil_{profile}"]}))
    assert mapping.tags == ("detracteur", "profil_{profile}")
    assert mapping.external_id == "recovery-{case_id}"  # defaults fill the rest


@pytest.mark.parametrize("content, field", [
    ({"tags": ["nps_detractor", "recovery_{profil}"]}, "tags"),
    ({"tags": ["two words"]}, "tags"),
    ({"external_id": "recovery"}, "external_id"),
    ({"external_id": "recovery-{case_id}-{priority}"}, "external_id"),
    ({"subject": "Recovery {case_id"}, "subject"),
    ({"ticket_type": "bug"}, "ticket_type"),
    ({"priorities": {"urgent": "critical", "high": "high", "normal": "normal", "low": "low"}},
     "priorities"),
    ({"priorities": {"urgent": "high"}}, "priorities"),
    ({"tag": ["nps_detractor"]}, "tag"),
    ({"churn_risk_tag": "churn risk"}, "churn_risk_tag"),
    ({"churn_risk_tag": "churn_{profile}"}, "churn_risk_tag"),
    ({"churn_risk_tag": ""}, "churn_risk_tag"),
])
def test_bad_mapping_names_the_field(tmp_path, content, field):
    with pytest.raises(MappingError) as caught:
        load_zendesk_mapping(write(tmp_path, content))
    assert field in caught.value.messages
    assert field in str(caught.value)


def test_mapping_that_is_not_json_or_missing(tmp_path):
    with pytest.raises(MappingError, match="not valid JSON"):
        load_zendesk_mapping(write(tmp_path, "{tags: ["))
    with pytest.raises(MappingError, match="file not found"):
        load_zendesk_mapping(tmp_path / "nowhere")
