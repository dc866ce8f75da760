"""Domain rules: classification, value tier, priority matrix, REACT plan."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from connector.domain import react
from connector.domain.rules import classify, hubspot_priority, load_rules, priority, value_tier
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

RULES = load_rules()


@pytest.mark.parametrize("score,category,severity", [
    (0, "detractor", "critical"), (3, "detractor", "critical"), (4, "detractor", "moderate"),
    (6, "detractor", "moderate"), (7, "passive", None), (8, "passive", None),
    (9, "promoter", None), (10, "promoter", None),
])
def test_nps(score, category, severity):
    result = classify("nps", score, False, RULES)
    assert (result.category, result.severity, result.opens_case) == (category, severity, category == "detractor")


@pytest.mark.parametrize("score,category,severity", [
    (1, "detractor", "critical"), (2, "detractor", "moderate"), (3, "passive", None),
    (4, "promoter", None), (5, "promoter", None),
])
def test_csat(score, category, severity):
    result = classify("csat", score, False, RULES)
    assert (result.category, result.severity) == (category, severity)


@pytest.mark.parametrize("survey,score", [("nps", 7), ("nps", 8), ("csat", 3)])
def test_vip_passive_opens_moderate_case(survey, score):
    result = classify(survey, score, True, RULES)
    assert (result.category, result.opens_case, result.severity) == ("passive", True, "moderate")


def test_vip_promoter_opens_nothing():
    assert classify("nps", 9, True, RULES).opens_case is False


@pytest.mark.parametrize("survey,score", [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6)])
def test_out_of_scale(survey, score):
    with pytest.raises(ValueError):
        classify(survey, score, False, RULES)


@pytest.mark.parametrize("ltv,tier", [
    (None, "standard"), (0, "standard"), (9_999.99, "standard"), (10_000, "high"),
    (30_000, "high"), (30_000.01, "critical"), (47_000, "critical"),
])
def test_value_tier(ltv, tier):
    assert value_tier(ltv, RULES) == tier


@pytest.mark.parametrize("tier,severity,expected,task", [
    ("critical", "critical", "urgent", "HIGH"), ("critical", "moderate", "high", "HIGH"),
    ("high", "critical", "high", "HIGH"), ("high", "moderate", "normal", "MEDIUM"),
    ("standard", "critical", "normal", "MEDIUM"), ("standard", "moderate", "low", "LOW"),
])
def test_priority_matrix(tier, severity, expected, task):
    assert priority(severity, tier, RULES) == expected
    assert hubspot_priority(expected, RULES) == task


def test_react_plan_offsets_contract():
    start = datetime(2026, 11, 20, 16, 37, tzinfo=timezone(timedelta(hours=1)))
    due = {stage.key: at - start for stage, at in react.plan(react.load_protocol(), start)}
    assert due == {
        "recognition": timedelta(hours=6), "empathy": timedelta(hours=24),
        "action": timedelta(hours=36), "compensation": timedelta(hours=48),
        "tracking_d7": timedelta(days=7), "tracking_d14": timedelta(days=14),
        "tracking_d30": timedelta(days=30), "resurvey_d60": timedelta(days=60),
    }
    assert list(due) == list(react.STAGE_KEYS)


def test_stage_labels_tell_the_three_tracking_stages_apart():
    assert [stage.label for stage in react.load_protocol()] == [
        "Recognition", "Empathy call", "Action plan", "Compensation", "Tracking (day 7)", "Tracking (day 14)",
        "Tracking (day 30)", "Re-survey (day 60)"]


def test_react_plan_needs_an_offset():
    with pytest.raises(ValueError):
        react.plan(react.load_protocol(), datetime(2026, 11, 20, 16, 37))


def test_thresholds_are_configuration(tmp_path):
    custom = json.loads((DEFAULT_MAPPINGS_DIR / "rules.json").read_text())
    custom["value_tiers"]["critical_above"] = 100_000
    (tmp_path / "rules.json").write_text(json.dumps(custom))
    assert value_tier(47_000, load_rules(tmp_path)) == "high"


def test_bad_rules_file_names_the_field(tmp_path):
    custom = json.loads((DEFAULT_MAPPINGS_DIR / "rules.json").read_text())
    custom["priority_matrix"]["high"]["critical"] = "asap"
    del custom["nps"]["passive_min"]
    (tmp_path / "rules.json").write_text(json.dumps(custom))
    with pytest.raises(MappingError) as err:
        load_rules(tmp_path)
    assert "passive_min" in err.value.messages["nps"]
    assert "priority_matrix" in err.value.messages


def test_the_protocol_asks_what_its_source_asks_at_day_30_and_60():
    """SPEC "The REACT protocol": day 30 is an informal e-mail (not a call); the re-survey carries
    an open question on the recovery experience."""
    STAGES_BY_KEY = react.load_protocol()
    assert STAGES_BY_KEY["tracking_d30"].task_type == "EMAIL"
    assert "informal" in STAGES_BY_KEY["tracking_d30"].ask and "email" in STAGES_BY_KEY["tracking_d30"].ask
    assert "open question" in STAGES_BY_KEY["resurvey_d60"].ask
