"""The sidebar's words: both languages say everything, the agent's locale and zone are read
leniently (fr-CA is French, an unknown zone is UTC), stage labels match the HubSpot tasks'."""
from datetime import datetime, timezone

import pytest

from connector.domain.react import stage_label
from connector.web.ui.texts import language_of, words_for, zone_of
from connector.web.ui.texts_catalog import WORDS


def test_french_says_everything_english_says_with_the_same_placeholders():
    import string
    assert set(WORDS["fr"]) == set(WORDS["en"])
    for key, text in WORDS["en"].items():
        names = {n for _, n, _, _ in string.Formatter().parse(text) if n}
        assert names == {n for _, n, _, _ in string.Formatter().parse(WORDS["fr"][key]) if n}, key


@pytest.mark.parametrize("locale,language", [("fr", "fr"), ("fr-CA", "fr"), ("FR_fr", "fr"), ("en-US", "en"),
                                             ("de", "en"), ("", "en"), (None, "en")])
def test_language_of_the_zendesk_locale(locale, language):
    assert language_of(locale) == language


@pytest.mark.parametrize("name", [None, "", "Not/AZone", "../../etc/passwd", "/etc/localtime", "x" * 100])
def test_unknown_zones_are_utc(name):
    assert zone_of(name) is timezone.utc


def test_moments_in_the_agents_zone_and_format():
    moment = datetime(2026, 11, 20, 15, 37, tzinfo=timezone.utc)
    assert words_for("fr", "Europe/Paris").at(moment) == "20/11/2026 16:37 CET"
    assert words_for("en", "America/New_York").at(moment) == "2026-11-20 10:37 EST"
    assert words_for("en", None).at("2026-11-20T15:37:00Z") == "2026-11-20 15:37 UTC"


def test_stage_labels_match_the_tasks_and_translate_only_default_titles():
    english, french = words_for("en", None), words_for("fr", None)
    for key, title in (("tracking_d7", "Tracking"), ("recognition", "Recognition"), ("resurvey_d60", "Re-survey")):
        assert english.stage(key, title) == stage_label(key, title)
    assert french.stage("tracking_d7", "Tracking") == "Suivi (jour 7)"
    assert french.stage("empathy", "Call with the VP") == "Call with the VP"  # the admin's own title


def test_status_replaces_outcome_open():
    english = words_for("en", None)
    assert english.status("open", None) == "In progress"
    assert english.status("closed", "failed") == "Closed: not recovered"
    assert english.status("closed", None) == "Closed"
    assert words_for("fr", None).status("closed", "promoter") == "Clos : reconquis (promoteur)"


def test_every_default_stage_instruction_reads_in_french_and_an_admins_own_stays_as_written():
    """The asks of mappings/protocol.json and of every playbook have their French; the agent reads
    them in the sidebar's language (the compensation guidance by tier is generated: English only)."""
    import json

    from connector.infra.resources import data_folder

    folder = data_folder("mappings")
    asks = [stage["ask"] for stage in json.loads((folder / "protocol.json").read_text())["stages"]]
    for playbook in json.loads((folder / "playbooks.json").read_text())["profiles"].values():
        asks += list(playbook.values())
    french, english = words_for("fr", None), words_for("en", None)
    for ask in asks:
        assert french.ask(ask) != ask and english.ask(ask) == ask, ask
    assert french.ask("Call the CFO first.") == "Call the CFO first."


def test_the_default_compensation_guidance_gestures_and_failure_reasons_read_in_french():
    """Composed by the domain from mappings/compensation.json and read from mappings/failure.json:
    every default tier's guidance, its offer and every default failure reason have their French."""
    from connector.domain.compensation import compensation_guidance, default_gesture
    from connector.domain.policies import load_policies

    policies = load_policies()
    french, english = words_for("fr", None), words_for("en", None)
    for tier, profile in (("critical", None), ("high", "chronic"), ("standard", None), ("high", "structural")):
        guidance = compensation_guidance(tier, profile, grid=policies.compensation)
        assert french.ask(guidance).startswith("Un geste est facultatif") and english.ask(guidance) == guidance
        offer = default_gesture(tier, profile, grid=policies.compensation).offer
        assert french.offer(offer) != offer, offer
    for label in policies.failure.reasons.values():
        assert french.reason(label) != label and english.reason(label) == label, label
