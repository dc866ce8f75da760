"""Cause suggestions from a comment: the taxonomy in mappings/causes.json, French and English,
accent- and case-insensitive, with the words shown to the agent as the customer wrote them."""
import json
import shutil

import pytest

from connector.domain.causes import load_cause_rules, suggest
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

RULES = load_cause_rules()

# (comment, expected cause or None)
CASES = [
    # billing
    ("I was charged twice for the same invoice.", "billing"),
    ("Your INVOICES are wrong every month and nobody fixes them", "billing"),
    ("The refund I was promised never came.", "billing"),
    ("Billing is a mess: three different amounts on my credit card", "billing"),
    ("J'ai été facturé deux fois ce mois-ci.", "billing"),
    ("La FACTURE de novembre est fausse, encore.", "billing"),
    ("Le prelevement a ete fait deux fois", "billing"),
    ("Toujours pas de remboursement après trois semaines", "billing"),
    ("Encore une erreur de facturation !", "billing"),  # a bare "erreur" is no bug report
    ("Mes factures ne correspondent pas à mon contrat, la TVA est mal calculée", "billing"),
    ("Payment failed but you debited me anyway, and the receipt is missing", "billing"),
    # pricing
    ("Way too expensive for what it does.", "pricing"),
    ("The price increase this year is unacceptable", "pricing"),
    ("Overpriced compared to what we get", "pricing"),
    ("C'est beaucoup trop cher pour une petite entreprise", "pricing"),
    ("Vos nouveaux tarifs sont hors de prix", "pricing"),
    ("L'augmentation de prix sans prévenir, c'est non.", "pricing"),
    # delivery
    ("My parcel never arrived.", "delivery"),
    ("Shipping took three weeks and the courier lost the package", "delivery"),
    ("The order was delivered to the wrong address", "delivery"),
    ("Mon colis n'est jamais arrivé", "delivery"),
    ("Livraison en retard de dix jours, le livreur injoignable", "delivery"),
    ("Commande expédiée mais le numéro de suivi ne marche pas, le transporteur ne sait rien", "delivery"),
    # bugs and outages
    ("The app keeps crashing when I export.", "product_bug"),
    ("Sync is broken since the last update, and it does not work offline", "product_bug"),
    ("We had an outage for a whole day and lost my data", "product_bug"),
    ("L'application plante tout le temps", "product_bug"),
    ("L'export ne fonctionne plus depuis la mise à jour, message d'erreur à chaque fois", "product_bug"),
    ("Encore une panne ce matin, tout est bloqué", "product_bug"),
    # performance
    ("The dashboard is so slow it takes forever to load", "performance"),
    ("Loading time is terrible, everything is laggy", "performance"),
    ("L'interface est d'une lenteur insupportable", "performance"),
    ("Ça rame, le temps de chargement est énorme", "performance"),
    # support
    ("Customer service never answered my emails.", "support"),
    ("I waited on hold for an hour and the agent was rude", "support"),
    ("Le service client ne répond jamais, aucune réponse depuis une semaine", "support"),
    ("Le SAV est injoignable et la conseillère était impolie", "support"),
    # onboarding
    ("The migration from our old tool was a nightmare", "onboarding"),
    ("Setup is confusing and the documentation is outdated", "onboarding"),
    ("La migration de nos données a pris des semaines", "onboarding"),
    ("La mise en place est compliquée, aucune formation proposée", "onboarding"),
    # the cause named most wins; a tie goes to the one named first
    ("The invoice was wrong, then the refund was wrong, and the app crashed once", "billing"),
    ("Slow app, slow support, slow everything; one bug", "performance"),
    ("Ma facture est fausse et le colis en retard", "billing"),
    ("Le colis est en retard et ma facture est fausse", "delivery"),
    # nothing to go on: no suggestion
    ("Not happy.", None),
    ("Bof.", None),
    ("", None),
    (None, None),
    # whole words only: "bill" is not in "billion", "lent" not in "excellent"
    ("We have a billion reasons to leave", None),
    ("Excellent produit mais je suis déçu", None),
]


def test_the_table_covers_forty_comments_in_both_languages():
    assert len([c for c, expected in CASES if expected is not None]) >= 40


@pytest.mark.parametrize(("comment", "expected"), CASES)
def test_suggested_cause(comment, expected):
    found = suggest(comment, RULES)
    assert (found.key if found else None) == expected


def test_words_are_shown_as_the_customer_wrote_them_each_once():
    found = suggest("Encore une FACTURE fausse, et la facture d'avant aussi; prélèvement refusé", RULES)
    assert found.key == "billing"
    assert found.words == ("FACTURE", "prélèvement")


def test_words_with_decomposed_accents_and_ligatures_map_back():
    comment = "Le pre\u0301le\u0300vement est faux; cœur du problème: la facturation"
    found = suggest(comment, RULES)
    assert found.words == ("pre\u0301le\u0300vement", "facturation")


def test_every_cause_has_an_english_label_and_a_team():
    for cause in RULES.causes:
        assert cause.label("en") and cause.label("fr") and cause.label("de") == cause.labels["en"]
        assert cause.team.name
    assert RULES.systemic.min_cases == 3 and RULES.systemic.window_days == 7


def _write(tmp_path, change):
    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    raw = json.loads((folder / "causes.json").read_text(encoding="utf-8"))
    change(raw)
    (folder / "causes.json").write_text(json.dumps(raw), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("change", "named"), [
    (lambda raw: raw["causes"][0].update(key="Billing Team"), "causes.0.key"),
    (lambda raw: raw["causes"].append(dict(raw["causes"][0])), "appears twice"),
    (lambda raw: raw["causes"][0]["keywords"]["en"].append("bad*word"), "bad pattern"),
    (lambda raw: raw["causes"][0]["team"].update(email=None, use_default_chat=False), "causes.0.team.name"),
    (lambda raw: raw["causes"][0]["team"].update(chat_webhook_url="http://example.com/hook"), "chat_webhook_url"),
    (lambda raw: raw["systemic"].update(min_cases=1), "systemic.min_cases"),
    (lambda raw: raw["resolved_message"].update(en="{customers}"), "unknown placeholder"),
    (lambda raw: raw["causes"][0]["labels"].pop("en"), "English label"),
])
def test_a_broken_taxonomy_stops_start_up_naming_the_field(tmp_path, change, named):
    with pytest.raises(MappingError) as caught:
        load_cause_rules(_write(tmp_path, change))
    assert named in caught.value.one_line()


def test_the_systemic_threshold_is_configurable(tmp_path):
    rules = load_cause_rules(_write(tmp_path, lambda raw: raw.update(systemic={"min_cases": 5, "window_days": 14})))
    assert (rules.systemic.min_cases, rules.systemic.window_days) == (5, 14)
