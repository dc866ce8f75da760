"""Recognition draft: personal, in the customer's language, naming owner and topic."""
import copy
import json

import pytest

from connector.domain.templates import comment_topic, first_name, load_templates, recognition_draft, resolve_locale
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

TEMPLATES = load_templates()
RAW = json.loads((DEFAULT_MAPPINGS_DIR / "templates.json").read_text(encoding="utf-8"))


def draft(locale, name="Marie", owner="Claire Martin", topic="votre facturation"):
    return recognition_draft(locale, first_name=name, owner_name=owner, topic=topic,
                             templates=TEMPLATES)


def test_french_draft_names_customer_owner_topic_and_promises_a_call():
    text = draft("fr")
    assert text.startswith("Bonjour Marie,\n\n")
    assert "concernant votre facturation," in text
    assert "Je suis Claire Martin" in text
    assert "Je vous appellerai dans les 24 heures" in text
    assert text.endswith("Bien cordialement,\nClaire Martin")


def test_english_draft():
    text = draft("en", name="John", owner="Sophie Bernard", topic="your delivery")
    assert text.startswith("Hello John,\n\n")
    assert "tell us about your delivery," in text
    assert "I am Sophie Bernard" in text
    assert "I will call you within 24 hours" in text
    assert text.endswith("Kind regards,\nSophie Bernard")


@pytest.mark.parametrize("locale,language", [
    ("fr", "fr"), ("fr-CA", "fr"), ("fr_FR", "fr"), ("FR", "fr"), (" fr-be ", "fr"),
    ("en", "en"), ("en-GB", "en"), ("de", "en"), ("de-CH", "en"), ("", "en"), (None, "en"),
    ("french", "en"),
])
def test_locale_resolution_falls_back_to_english(locale, language):
    assert resolve_locale(locale, TEMPLATES) == language


def test_unknown_locale_gets_the_english_letter():
    assert draft("pt-BR", topic=None).startswith("Hello Marie,\n\nThank you")


def test_no_topic_uses_the_neutral_phrase():
    assert "concernant votre expérience récente," in draft("fr", topic=None)
    assert "about your recent experience with us," in draft("en", topic=None)


def test_no_first_name_greets_without_a_blank():
    assert draft("fr", name=None).startswith("Bonjour,\n\n")
    assert draft("en", name="  ").startswith("Hello,\n\n")


@pytest.mark.parametrize("owner", ["", "   ", None])
def test_a_draft_without_owner_is_refused(owner):
    with pytest.raises(ValueError, match="owner"):
        draft("fr", owner=owner)


def test_braces_in_values_are_not_templates():
    assert "Je suis {topic} Co" in draft("fr", owner="{topic} Co")


@pytest.mark.parametrize("comment,locale,topic", [
    ("Ma facture est fausse depuis deux mois.", "fr", "votre facturation"),
    ("Ma facture est fausse depuis deux mois.", "en", "your invoicing"),  # letter language decides
    ("We were billed twice for March", "en", "your invoicing"),
    ("Livraison en retard, colis abîmé", "fr-CA", "votre livraison"),
    ("The parcel never arrived", "en", "your delivery"),
    ("La migration vers la v2 a effacé nos contacts", "fr", "votre migration"),
    ("Your data import wiped half our CRM", "en", "your migration"),
    ("Les tarifs ont doublé sans prévenir", "fr", "nos tarifs"),
    ("Way too expensive for what it does", "en", "our pricing"),
    ("Le SAV ne répond jamais", "fr", "notre support"),
    ("My ticket has been open for 3 weeks", "en", "our support"),
    # several topics: the one mentioned first wins
    ("Le support m'a renvoyé vers la facturation", "fr", "notre support"),
    ("The invoice was wrong and support never answered", "en", "your invoicing"),
    ("Je voudrais avoir une réponse", "fr", None),  # "avoir" (credit note) is also "to have"
    ("Nothing specific, just disappointed.", "en", None),
    (None, "en", None),
])
def test_comment_topic(comment, locale, topic):
    assert comment_topic(comment, locale, templates=TEMPLATES) == topic


@pytest.mark.parametrize("full,first", [
    ("Marie Dubois", "Marie"), ("  Marie   Dubois ", "Marie"), ("MARIE DUBOIS", "Marie"),
    ("jean-pierre martin", "Jean-Pierre"), ("Jean-Pierre Martin", "Jean-Pierre"),
    ("DUBOIS, Marie", "Marie"), ("Dr. John Smith", "John"), ("Mme Claire Dupont", "Claire"),
    ("McKenzie", "McKenzie"), ("Éloïse", "Éloïse"),
    ("Mme Dubois", None), ("M. Dubois", None), ("J. Smith", None), ("marie@example.com", None),
    ("", None), ("   ", None), (None, None),
])
def test_first_name(full, first):
    assert first_name(full) == first


# --- validation at load ----------------------------------------------------------------------

@pytest.fixture
def errors(tmp_path):
    def errors(mutate):
        raw = copy.deepcopy(RAW)
        mutate(raw)
        (tmp_path / "templates.json").write_text(json.dumps(raw), encoding="utf-8")
        with pytest.raises(MappingError) as error:
            load_templates(tmp_path)
        return error.value.messages
    return errors


def test_body_must_name_the_owner(errors):
    def mutate(raw):
        raw["locales"]["fr"]["body"] = ["Merci pour votre retour concernant {topic}."]
    assert errors(mutate) == {"locales": {"fr": {"value": {"body": ["must contain {owner_name}"]}}}}


def test_body_must_name_the_topic(errors):
    def mutate(raw):
        raw["locales"]["en"]["body"] = ["Thanks, {owner_name}"]
    assert errors(mutate) == {"locales": {"en": {"value": {"body": ["must contain {topic}"]}}}}


def test_unknown_placeholder_is_named(errors):
    def mutate(raw):
        raw["locales"]["en"]["greeting"] = "Hello {first_name} {last_name},"
    messages = errors(mutate)
    assert "last_name" in messages["locales"]["en"]["value"]["greeting"][0]


def test_attribute_access_in_templates_is_refused(errors):
    def mutate(raw):
        raw["locales"]["en"]["body"].append("{owner_name.__class__} {topic}")
    assert "unknown placeholder" in errors(mutate)["locales"]["en"]["value"]["body"][0]


def test_default_locale_must_exist(errors):
    assert errors(lambda raw: raw.update(default_locale="de")) == {
        "default_locale": ["must be one of the locales"]}


def test_topic_needs_a_phrase_in_every_language(errors):
    def mutate(raw):
        del raw["topics"][1]["phrases"]["fr"]
    assert errors(mutate) == {"topics": {1: {"phrases": ["missing language(s) ['fr']"]}}}


def test_bad_topic_keyword_is_named(errors):
    def mutate(raw):
        raw["topics"][0]["keywords"].append("fact*ure")
    assert "keywords" in errors(mutate)["topics"][0]
