"""Promises of the action plan: what the agent submits (marshmallow, field messages), the
same promise twice, and the written confirmation drafted from them in the customer's language."""
import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from connector.domain.confirmation import confirmation_draft
from connector.domain.promises import MAX_PROMISES, fingerprint, hubspot_owner_hint, load_promises, promise_line
from connector.domain.templates import load_templates
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

OPENED = datetime(2026, 11, 20, 15, 37, tzinfo=timezone.utc)
NOW = OPENED + timedelta(hours=30)
TEMPLATES = load_templates()
RAW = json.loads((DEFAULT_MAPPINGS_DIR / "templates.json").read_text(encoding="utf-8"))


def promise(**overrides):
    return {"what": "Rembourser la facture", "who": "claire.martin@example.com", "by": "2026-11-25", **overrides}


def errors(raw, now=NOW, opened=OPENED):
    with pytest.raises(ValidationError) as error:
        load_promises(raw, opened_at=opened, now=now)
    return error.value.messages


def test_a_date_is_due_at_the_end_of_that_day_and_a_datetime_is_read_in_utc():
    loaded = load_promises([promise(), promise(what="Rappeler", by="2026-11-23T10:00:00+01:00"),
                            promise(what="Écrire", by="2026-11-24T08:30:00")], opened_at=OPENED, now=NOW)
    assert [p["by"] for p in loaded] == [datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc),
                                         datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc),
                                         datetime(2026, 11, 24, 8, 30, tzinfo=timezone.utc)]
    assert loaded[0]["who"] == "claire.martin@example.com"


@pytest.mark.parametrize("raw, expected", [
    ([promise(what="")], {0: {"what": ["Length must be between 1 and 300.", "Must not be blank."]}}),
    ([promise(what="   ")], {0: {"what": ["Must not be blank."]}}),
    ([promise(what="x" * 301)], {0: {"what": ["Length must be between 1 and 300."]}}),
    ([promise(who="y" * 201)], {0: {"who": ["Length must be between 1 and 200."]}}),
    ([promise(by="next week")], {0: {"by": ["Not a valid date or datetime (ISO 8601)."]}}),
    ([promise(by=20261125)], {0: {"by": ["Not a valid date or datetime (ISO 8601)."]}}),
    ([{"what": "Rappeler"}], {0: {"who": ["Missing data for required field."],
                                  "by": ["Missing data for required field."]}}),
    ([promise(), promise(extra=1)], {1: {"extra": ["Unknown field."]}}),
    ([], ["Length must be between 1 and 10."]),
    ([promise(what=f"p{i}") for i in range(MAX_PROMISES + 1)], ["Length must be between 1 and 10."]),
    ("Rembourser", ["Not a valid list."]),
    (None, ["Field may not be null."]),
], ids=["empty what", "blank what", "long what", "long who", "not a date", "a number", "missing fields",
        "unknown field", "no promise", "too many", "not a list", "null"])
def test_each_bad_field_is_named(raw, expected):
    assert errors(raw) == {"promises": expected}


def test_a_date_already_past_is_refused_relative_to_the_case_and_the_clock():
    messages = errors([promise(), promise(what="Hier", by="2026-11-21T12:00:00Z")])
    assert list(messages["promises"]) == [1] and "Must not be before 2026-11-21 21:37 UTC" in \
        messages["promises"][1]["by"][0]
    # Before the case opened is refused even when the clock is behind it (a backdated answer).
    assert 0 in errors([promise(by="2026-11-19")], now=OPENED - timedelta(days=3))["promises"]
    assert load_promises([promise(by=NOW.isoformat())], opened_at=OPENED, now=NOW)[0]["by"] == NOW


def test_the_same_promise_twice_has_one_fingerprint():
    by = datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc)
    same = fingerprint("Rembourser  la facture ", "Claire.Martin@example.com", by)
    assert same == fingerprint("rembourser la facture", "claire.martin@example.com", by.astimezone())
    assert same != fingerprint("Rembourser la facture", "claire.martin@example.com", by + timedelta(days=1))


def test_only_an_email_names_a_hubspot_owner():
    assert hubspot_owner_hint("claire.martin@example.com") == "claire.martin@example.com"
    assert hubspot_owner_hint("Claire Martin") is None


def test_the_note_line():
    by = datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc)
    assert promise_line("Rembourser", "Claire Martin", by) == "Promise: Rembourser — Claire Martin — by 2026-11-25 23:59 UTC"


# --- the written confirmation -----------------------------------------------------------------

PLAN = [("Corriger le prélèvement", "compta@example.com", datetime(2026, 11, 27, 12, tzinfo=timezone.utc)),
        ("Rembourser la facture", "Claire Martin", datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc))]


def test_french_confirmation_lists_the_promises_by_date_and_is_signed_by_the_owner():
    draft = confirmation_draft("fr-FR", first_name="Marie", owner_name="Claire Martin", promises=PLAN,
                               templates=TEMPLATES)
    assert draft.startswith("Bonjour Marie,\n\n")
    assert draft.index("- Rembourser la facture (Claire Martin, au plus tard le 25/11/2026)") < \
        draft.index("- Corriger le prélèvement (compta@example.com, au plus tard le 27/11/2026)")
    assert draft.rstrip().endswith("Claire Martin")


def test_english_and_unknown_languages_get_the_english_letter():
    for locale in ("en-GB", "de", None):
        draft = confirmation_draft(locale, first_name=None, owner_name="Claire Martin", promises=PLAN,
                                   templates=TEMPLATES)
        assert draft.startswith("Hello,\n\n") and "- Rembourser la facture (Claire Martin, by 2026-11-25)" in draft


@pytest.mark.parametrize("owner, plan", [(None, PLAN), ("  ", PLAN), ("Claire Martin", [])])
def test_no_draft_without_promises_or_someone_to_sign_it(owner, plan):
    assert confirmation_draft("fr", first_name="Marie", owner_name=owner, promises=plan, templates=TEMPLATES) is None


def test_braces_in_a_promise_are_not_templates():
    plan = [("Envoyer {owner_name} le devis", "{who}", PLAN[0][2])]
    draft = confirmation_draft("en", first_name=None, owner_name="Claire", promises=plan, templates=TEMPLATES)
    assert "- Envoyer {owner_name} le devis ({who}, by 2026-11-27)" in draft


@pytest.fixture
def template_errors(tmp_path):
    def template_errors(mutate):
        raw = copy.deepcopy(RAW)
        mutate(raw)
        (tmp_path / "templates.json").write_text(json.dumps(raw), encoding="utf-8")
        with pytest.raises(MappingError) as error:
            load_templates(tmp_path)
        return error.value.messages
    return template_errors


def test_confirmation_body_must_list_the_promises_and_name_the_owner(template_errors):
    def mutate(raw):
        raw["confirmation"]["fr"]["body"] = ["Merci, {owner_name}."]
    assert template_errors(mutate) == {"confirmation": {"fr": {"value": {"body": ["must contain {promises}"]}}}}


def test_promise_line_must_show_what_and_by_when(template_errors):
    def mutate(raw):
        raw["confirmation"]["en"]["promise_line"] = "- {what} ({who})"
    assert template_errors(mutate) == {"confirmation": {"en": {"value": {"promise_line": ["must contain {by}"]}}}}


def test_date_format_takes_digits_only(template_errors):
    def mutate(raw):
        raw["confirmation"]["en"]["date_format"] = "%B %d"
    assert "date_format" in template_errors(mutate)["confirmation"]["en"]["value"]


def test_confirmation_needs_the_default_language_and_known_locales(template_errors):
    assert template_errors(lambda raw: raw["confirmation"].pop("en")) == {
        "confirmation": ["missing the default language 'en'"]}
    assert "no locale" in template_errors(lambda raw: raw["confirmation"].update(
        de=raw["confirmation"]["en"]))["confirmation"][0]


def test_templates_without_a_confirmation_still_load(tmp_path):
    raw = {k: v for k, v in RAW.items() if k != "confirmation"}
    (tmp_path / "templates.json").write_text(json.dumps(raw), encoding="utf-8")
    templates = load_templates(tmp_path)
    assert confirmation_draft("fr", first_name="Marie", owner_name="Claire", promises=PLAN,
                              templates=templates) is None
