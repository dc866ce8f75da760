"""``mappings/surveys/<vendor>.json``: validated at start-up, and what admins can change."""
import json
import shutil

import pytest
from sqlalchemy import select

from connector.inbound.sources import registry
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError
from connector.store.db import transaction
from connector.store.models import Answer
from tests.conftest import make_config, make_runtime
from tests.surveys.vendors import SECRETS, VENDORS


@pytest.fixture
def mappings_dir(tmp_path):
    target = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, target)
    return target


def _write(directory, vendor, content):
    (directory / "surveys" / f"{vendor}.json").write_text(json.dumps(content))


def _client(mappings_dir, tmp_path):
    from connector.web.app import create_app

    rt = make_runtime(make_config(f"sqlite:///{tmp_path / 'm.db'}", MAPPINGS_DIR=str(mappings_dir), **SECRETS))
    return create_app(rt.config, runtime=rt).test_client(), rt


def test_shipped_mappings_spell_out_the_documented_defaults():
    shipped = registry.load_mappings()
    assert set(shipped) == set(registry.SOURCES) - {"generic"}
    for name, mapping in shipped.items():
        defaults = registry.SOURCES[name].default_mapping()
        assert {k: v for k, v in mapping.items() if k != "description"} == \
            {k: v for k, v in defaults.items() if k != "description"}, name


@pytest.mark.parametrize("vendor,content,field", [
    ("typeform", {"survey_type": "ces"}, "survey_type"),
    ("typeform", {"score_feilds": ["nps"]}, "score_feilds"),
    ("zendesk", {"ratings": {"bad": 0}}, "ratings"),
    ("hubspot", {"survey_types": {"CES": "effort"}}, "survey_types"),
    ("delighted", {"customer_fields": {"emial": ["email"]}}, "customer_fields"),
])
def test_a_bad_mapping_stops_start_up_naming_the_field(vendor, content, field, mappings_dir, tmp_path):
    _write(mappings_dir, vendor, content)
    with pytest.raises(MappingError) as error:
        make_runtime(make_config(f"sqlite:///{tmp_path / 'x.db'}", MAPPINGS_DIR=str(mappings_dir)))
    assert f"surveys/{vendor}.json" in str(error.value.path)
    assert field in error.value.messages


def test_not_json_mapping_stops_start_up(mappings_dir, tmp_path):
    (mappings_dir / "surveys" / "formbricks.json").write_text("{nope")
    with pytest.raises(MappingError, match="not valid JSON"):
        make_runtime(make_config(f"sqlite:///{tmp_path / 'x.db'}", MAPPINGS_DIR=str(mappings_dir)))


def test_a_missing_vendor_file_means_the_vendor_conventions(mappings_dir, tmp_path):
    shutil.rmtree(mappings_dir / "surveys")
    client, rt = _client(mappings_dir, tmp_path)
    assert VENDORS["typeform"].post(client).status_code == 202
    rt.engine.dispose()


def test_named_questions_win_over_conventions(mappings_dir, tmp_path):
    _write(mappings_dir, "typeform", {"score_fields": ["satisfaction"], "comment_fields": ["why"],
                                      "survey_types": {"lT4Z3j": "csat"}})
    client, rt = _client(mappings_dir, tmp_path)
    payload = VENDORS["typeform"].payload()
    payload["form_response"]["answers"] += [
        {"type": "number", "number": 2, "field": {"id": "s1", "type": "rating", "ref": "satisfaction"}},
        {"type": "text", "text": "Encore en retard.", "field": {"id": "w1", "type": "short_text", "ref": "why"}}]
    assert VENDORS["typeform"].post(client, payload).status_code == 202
    with transaction(rt.sessions) as session:
        answer = session.scalar(select(Answer))
        assert (answer.survey_type, answer.score, answer.comment) == ("csat", 2, "Encore en retard.")
    rt.engine.dispose()


def test_formbricks_can_take_response_created(mappings_dir, tmp_path):
    _write(mappings_dir, "formbricks", {"events": ["responseCreated", "responseFinished"]})
    client, rt = _client(mappings_dir, tmp_path)
    payload = {**VENDORS["formbricks"].payload(), "event": "responseCreated"}
    assert VENDORS["formbricks"].post(client, payload).status_code == 202
    rt.engine.dispose()


def test_hubspot_three_point_csat_is_translated(mappings_dir, tmp_path):
    _write(mappings_dir, "hubspot", {"score_values": {"0": 1, "1": 3, "2": 5}})
    client, rt = _client(mappings_dir, tmp_path)
    payload = VENDORS["hubspot"].payload()
    payload["properties"].update(hs_survey_type="CSAT", hs_value="0")
    assert VENDORS["hubspot"].post(client, payload).status_code == 202
    with transaction(rt.sessions) as session:
        assert session.scalar(select(Answer.score)) == 1
    rt.engine.dispose()


def test_zendesk_localised_ratings_can_be_added(mappings_dir, tmp_path):
    _write(mappings_dir, "zendesk", {"ratings": {"good": 5, "bad": 1, "mauvais": 1, "bon": 5}})
    client, rt = _client(mappings_dir, tmp_path)
    payload = VENDORS["zendesk"].payload()
    payload["satisfaction"]["rating"] = "Mauvais, je ne suis pas satisfait"
    assert VENDORS["zendesk"].post(client, payload).status_code == 202
    rt.engine.dispose()
