"""Structural is a poor fit, not any competitor: leaving for a same-category competitor is a
churn risk on a disappointed or chronic case, and it raises the case's priority one level."""
import json

import pytest

from connector.domain.profile import ProfileResult, classify_profile, load_profile_rules
from connector.domain.rules import load_rules, priority
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

RULES = load_profile_rules()
NONE = "no earlier complaints"
SCOPE = "outside the product's scope"
OTHER = "competitor of another category"
CHURN = "churn risk (leaving for a competitor)"

# (comment, locale, profile, signals, churn_risk). No ticket history, no earlier answers.
COMMENTS = [
    # --- same-category competitor: winnable, so disappointed (or chronic) + churn risk --------
    ("We're switching to Freshdesk next month unless someone calls me back.", "en",
     "disappointed", (NONE, f'{CHURN}: "switching to"'), True),
    ("Two weeks without an answer. We are already looking at alternatives.", "en",
     "disappointed", (NONE, f'{CHURN}: "looking at alternatives"'), True),
    ("Your support ignored us for a month, so we're taking our business elsewhere.", "en",
     "disappointed", (NONE, f'{CHURN}: "taking our business elsewhere"'), True),
    ("Honestly thinking of moving to a competitor after the billing mess.", "en",
     "disappointed", (NONE, f'{CHURN}: "to a competitor"'), True),
    ("Usually great, but this time the outage cost us a day. I've asked another vendor for a quote.",
     "en", "disappointed", (NONE, 'words: "usually … but this time"', f'{CHURN}: "another vendor"'), True),
    ("Service client injoignable, on va passer chez la concurrence.", "fr",
     "disappointed", (NONE, f'{CHURN}: "passer chez", "chez la concurrence"'), True),
    ("Facture fausse deux fois, je compte changer de fournisseur à l'échéance.", "fr",
     "disappointed", (NONE, f'{CHURN}: "changer de fournisseur"'), True),
    ("D'habitude vous êtes réactifs, mais cette fois rien : je vais voir ailleurs.", "fr",
     "disappointed", (NONE, 'words: "d\'habitude … mais cette fois"', f'{CHURN}: "voir ailleurs"'), True),
    ("Nous avons demandé un devis à un autre prestataire.", "fr",
     "disappointed", (NONE, f'{CHURN}: "autre prestataire"'), True),
    # --- chronic words and a same-category competitor: chronic + churn risk -------------------
    ("Again the sync failed overnight. We're switching to Pipedrive.", "en",
     "chronic", ('words: "again"', f'{CHURN}: "switching to"'), True),
    ("Third time this month the export is broken; we're evaluating alternatives.", "en",
     "chronic", ('words: "third time"', f'{CHURN}: "evaluating alternatives"'), True),
    ("Toujours le même bug sur les relances, on cherche une autre solution.", "fr",
     "chronic", ('words: "toujours", "même bug"', f'{CHURN}: "cherch* une autre solution"'), True),
    ("Encore une panne ! Nous partons chez un concurrent dès que possible.", "fr",
     "chronic", ('words: "encore"', f'{CHURN}: "partons chez", "chez un concurrent"'), True),
    # --- competitor of another category, or a need out of scope: structural, never churn ------
    ("We've outgrown you: we need an enterprise-grade helpdesk with SLAs per region.", "en",
     "structural", (f'{SCOPE}: "outgrown"', f'{OTHER}: "enterprise-grade"'), False),
    ("Nice little app, but it's built for small shops and we are 300 people.", "en",
     "structural", (f'{OTHER}: "built for small shops"',), False),
    ("We need a real ERP with stock and payroll, not a ticketing tool.", "en",
     "structural", (f'{OTHER}: "a real erp"',), False),
    ("We're switching to SAP: we need multi-entity consolidation, which you don't have.", "en",
     "structural", (f'{SCOPE}: "we need … you don\'t have"',), False),
    ("Votre outil est fait pour les petites structures, nous passons sur une solution d'entreprise.",
     "fr", "structural", (f'{OTHER}: "fait pour les petites*", "solution d\'entreprise"',), False),
    ("Nous avons besoin d'un vrai ERP, votre logiciel ne gère ni les stocks ni la paie.", "fr",
     "structural", (f'{OTHER}: "vrai erp"',), False),
    ("Nous passons chez un éditeur niveau entreprise, vous ne proposez pas de SSO.", "fr",
     "structural", (f'{OTHER}: "niveau entreprise"', f'{SCOPE}: "vous ne proposez pas"'), False),
    # --- negatives: a switch inside the product, a price comparison, "another" anything -------
    ("Since switching to the new plan my invoices are wrong.", "en", "disappointed", (NONE,), False),
    ("After we switched to annual billing, the invoices doubled.", "en", "disappointed", (NONE,), False),
    ("Your prices are high compared to the competition and nobody explained the increase.", "en",
     "disappointed", (NONE,), False),
    ("The agent offered another workaround, which didn't work either.", "en",
     "disappointed", (NONE,), False),
    ("Small business owner here, the onboarding was confusing.", "en", "disappointed", (NONE,), False),
    ("Vos tarifs ont augmenté par rapport à la concurrence, sans explication.", "fr",
     "disappointed", (NONE,), False),
    ("On m'a proposé une autre solution de paiement qui n'a pas marché.", "fr",
     "disappointed", (NONE,), False),
    ("Le livreur est passé chez mon voisin au lieu de chez moi.", "fr", "disappointed", (NONE,), False),
]


def test_the_table_covers_both_languages_every_profile_and_both_churn_values():
    assert len(COMMENTS) >= 20
    assert {locale for _, locale, *_ in COMMENTS} == {"fr", "en"}
    assert {(profile, churn) for _, _, profile, _, churn in COMMENTS} == {
        ("disappointed", True), ("chronic", True), ("structural", False), ("disappointed", False)}


@pytest.mark.parametrize("comment,locale,profile,signals,churn_risk", COMMENTS, ids=[c[0][:40] for c in COMMENTS])
def test_competitors_and_scope(comment, locale, profile, signals, churn_risk):
    result = classify_profile(comment, locale, recent_ticket_count=0, earlier_scores=[], rules=RULES)
    assert result == ProfileResult(profile, signals, churn_risk)


def test_history_makes_chronic_and_the_churn_risk_stays():
    result = classify_profile("Je cherche déjà un autre fournisseur.", "fr", recent_ticket_count=4,
                              earlier_scores=[("nps", 5)], rules=RULES)
    assert result == ProfileResult("chronic", ("4 Zendesk tickets in the last 90 days",
                                               "earlier detractor answer (NPS 5)",
                                               f'{CHURN}: "autre fournisseur"'), True)


def test_a_satisfied_history_keeps_the_churn_risk_on_a_disappointed_case():
    result = classify_profile("Going elsewhere after this.", "en", recent_ticket_count=None,
                              earlier_scores=[("nps", 9)], rules=RULES)
    assert result == ProfileResult("disappointed", ("historically satisfied (earlier answers 7+)",
                                                    f'{CHURN}: "going elsewhere"'), True)


def test_churn_keywords_are_data(tmp_path):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "profile.json").read_text(encoding="utf-8"))
    raw["languages"]["en"]["churn_risk"] = {"leaving for Acme": ["acme"]}
    (tmp_path / "profile.json").write_text(json.dumps(raw), encoding="utf-8")
    rules = load_profile_rules(tmp_path)

    def check(comment):
        return classify_profile(comment, None, recent_ticket_count=0, earlier_scores=[], rules=rules)

    assert check("We'll go with Acme.") == ProfileResult("disappointed", (NONE, 'leaving for Acme: "acme"'), True)
    # the replaced English list no longer fires; the French one still does
    assert check("We're switching to Zoho.") == ProfileResult("disappointed", (NONE,), False)
    assert check("Je cherche un autre fournisseur.").churn_risk


def test_a_bad_churn_keyword_names_its_field(tmp_path):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "profile.json").read_text(encoding="utf-8"))
    raw["languages"]["fr"]["churn_risk"][CHURN].append("partir … ")
    raw["languages"]["en"]["churn_risk"] = {"": ["switching to"]}
    (tmp_path / "profile.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_profile_rules(tmp_path)
    languages = error.value.messages["languages"]
    assert "bad pattern 'partir … '" in str(languages["fr"]["value"]["churn_risk"])
    assert "churn_risk" in languages["en"]["value"]


# --- urgency: one level up from the matrix, capped at urgent ---------------------------------

MATRIX = load_rules()


@pytest.mark.parametrize("tier,severity,plain,raised", [
    ("standard", "moderate", "normal", "high"),
    ("standard", "critical", "high", "urgent"),
    ("high", "moderate", "high", "urgent"),
    ("high", "critical", "high", "urgent"),
    ("critical", "moderate", "urgent", "urgent"),   # capped
    ("critical", "critical", "urgent", "urgent"),
])
def test_churn_risk_raises_the_matrix_priority_one_level(tier, severity, plain, raised):
    assert priority(severity, tier, MATRIX) == plain
    assert priority(severity, tier, MATRIX, churn_risk=True) == raised


def test_the_raise_starts_from_a_custom_matrix():
    custom = {**MATRIX, "priority_matrix": {**MATRIX["priority_matrix"],
                                            "standard": {"critical": "normal", "moderate": "low"}}}
    assert priority("moderate", "standard", custom, churn_risk=True) == "normal"
