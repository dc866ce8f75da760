"""Detractor profile from the comment (fr + en), ticket history and earlier answers."""
import json

import pytest

from connector.domain import keywords
from connector.domain.profile import ProfileResult, classify_profile, load_profile_rules
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError

RULES = load_profile_rules()
NONE = "no earlier complaints"
SCOPE = "outside the product's scope"
OTHER = "competitor of another category"
CHURN = "churn risk (leaving for a competitor)"

# (comment, locale, expected profile, expected signals). No history here (0 tickets, no
# earlier answers), so only the words decide; history has its own tests below.
COMMENTS = [
    # --- English -------------------------------------------------------------------------
    ("Usually your team is brilliant, but this time nobody answered for a week.", "en",
     "disappointed", (NONE, 'words: "usually … but this time"')),
    ("Not again. The export failed AGAIN and I lost a day of work.", "en",
     "chronic", ('words: "again"',)),
    ("Please, not again.", "en", "chronic", ('words: "again"',)),  # negation is still chronic
    ("Still waiting for the refund you promised in March.", "en",
     "chronic", ('words: "still"',)),
    ("Every time we update, something breaks.", "en", "chronic", ('words: "every time"',)),
    ("everytime i log in it asks for my pasword agian", "en",  # typo "agian" is not a keyword
     "chronic", ('words: "everytime"',)),
    ("We're switching to HubSpot next quarter, your tool just doesn't scale for a team our size.",
     "en", "structural", (f'{SCOPE}: "doesn\'t scale"',)),  # poor fit: the switch is no churn risk
    ("We need SSO and audit logs, which you don't have.", "en",
     "structural", (f'{SCOPE}: "we need … you don\'t have"',)),
    ("We\u2019re moving over to Zendesk Suite, it\u2019s a proper enterprise tool.", "en",
     "structural", (f'{OTHER}: "proper enterprise"',)),
    ("Competitors offer an enterprise-grade API with real rate limits; yours falls over.", "en",
     "structural", (f'{OTHER}: "enterprise-grade"',)),
    ("the tool doesnt support multi currency which we need for our EU entities", "en",
     "structural", (f'{SCOPE}: "doesn\'t support"',)),  # missing apostrophe still matches
    ("Your product is too basic for an agency with 40 people.", "en",
     "structural", (f'{SCOPE}: "too basic"',)),
    ("The delivery was late and the driver was rude.", "en", "disappointed", (NONE,)),
    ("First time I've had a problem with you guys, but it was a bad one.", "en",
     "disappointed", (NONE, 'words: "first time"')),
    ("This is not the first time my invoice is wrong.", "en",  # longer phrase wins
     "chronic", ('words: "not the first time"',)),
    ("I've always been happy with the service until this month's outage.", "en",
     "disappointed", (NONE, 'words: "always been happy", "until this"')),
    ("Thanks again for nothing. Support closed my ticket without reading it.", "en",
     "disappointed", (NONE,)),  # "thanks again" is an ignore phrase
    ("the app is always crashing on android, fix it", "en", "chronic", ('words: "always"',)),
    ("Same issue as last month with the sync, and the month before.", "en",
     "chronic", ('words: "same issue"',)),
    ("Terrible onboarding call, the consultant didn't know the product.", "en",
     "disappointed", (NONE,)),
    ("It keeps happening: the dashboard logs me out every 5 minutes.", "en",
     "chronic", ('words: "keeps happening"',)),
    ("Normally I'd give you a 10 but this time the invoice was wrong twice.", "en",
     "disappointed", (NONE, 'words: "normally … but this time"')),
    ("Honestly it's fine, just a bit slow lately.", "en", "disappointed", (NONE,)),
    ("I'm fed up with chasing your team for answers.", "en", "chronic", ('words: "fed up"',)),
    ("Price went up 30% with no notice.", "en", "disappointed", (NONE,)),
    ("We have been a loyal customer for 6 years and nobody even called us back", "en",
     "disappointed", (NONE, 'words: "loyal customer"')),
    ("Once again the update broke our integration", "en",
     "chronic", ('words: "once again"',)),
    ("Against my better judgement I renewed, and the onboarding was a mess.", "en",
     "disappointed", (NONE,)),  # "against" is not "again": whole words only
    # --- French --------------------------------------------------------------------------
    ("D\u2019habitude tout est parfait, mais cette fois la livraison a pris trois semaines.",
     "fr", "disappointed", (NONE, 'words: "d\'habitude … mais cette fois"')),
    ("L\u2019habitude chez vous c\u2019est l\u2019excellence, mais cette fois ça n\u2019a pas suivi.",
     "fr", "disappointed", (NONE, 'words: "l\'habitude … mais cette fois"')),
    ("Habituellement rapide, mais cette fois 48 h pour une réponse.", "fr",
     "disappointed", (NONE, 'words: "habituellement … mais cette fois"')),
    ("Encore un retard de livraison, toujours le même problème.", "fr",
     "chronic", ('words: "encore", "toujours", "même problème"',)),
    ("Toujours le meme probleme avec la synchro", "fr",  # typed without accents
     "chronic", ('words: "toujours", "même problème"',)),
    ("ENCORE UNE FOIS LE SITE EST EN PANNE", "fr", "chronic", ('words: "encore une fois"',)),
    ("Service catastrophique, je cherche déjà un autre fournisseur.", "fr",  # same category: winnable
     "disappointed", (NONE, f'{CHURN}: "autre fournisseur"')),
    ("Nous passons chez Salesforce, votre outil n'est pas conçu pour des équipes de 200.", "fr",
     "structural", (f'{SCOPE}: "pas conçu pour"',)),
    ("Votre solution n'est pas adaptée à nos besoins, nous partons chez un concurrent.", "fr",
     "structural", (f'{SCOPE}: "pas adapté* à nos besoins"',)),
    ("L'outil ne correspond pas à nos besoins : il nous faut une vraie gestion multi-entités.",
     "fr", "structural", (f'{SCOPE}: "ne correspond pas à nos besoins"',)),
    ("Interface trop limitée pour un cabinet comptable.", "fr",
     "structural", (f'{SCOPE}: "trop limité*"',)),
    ("À chaque fois que j'appelle le support, on me promet un rappel qui ne vient jamais.", "fr",
     "chronic", ('words: "chaque fois"',)),
    ("Je n\u2019ai toujours pas reçu ma facture corrigée.", "fr",
     "chronic", ('words: "toujours pas"',)),
    ("Encore merci pour votre réactivité, mais la réponse a pris dix jours.", "fr",
     "disappointed", (NONE,)),  # "encore merci" = thanks again
    ("Je n'ai pas encore reçu ma commande, passée il y a 15 jours.", "fr",
     "disappointed", (NONE,)),  # "pas encore" = not yet
    ("C'est la première fois que je suis déçu, j'espère que ce sera la dernière.", "fr",
     "disappointed", (NONE, 'words: "première fois"')),
    ("Ce n'est pas la première fois que la facture est fausse.", "fr",
     "chronic", ('words: "pas la première fois"',)),
    ("j'ai tjrs des bugs sur l'export pdf", "fr", "chronic", ('words: "tjrs"',)),
    ("J\u2019ai toujours été très satisfaite, mais là le support m\u2019a raccroché au nez.", "fr",
     "disappointed", (NONE, 'words: "toujours été très satisf*"')),  # not a chronic "toujours"
    ("Livraison en retard de 3 jours, colis abîmé.", "fr", "disappointed", (NONE,)),
    ("Ras le bol de relancer votre service client depuis des semaines", "fr",
     "chronic", ('words: "ras-le-bol", "depuis des semaines"',)),
    ("Le prix a encore augmenté sans prévenir.", "fr", "chronic", ('words: "encore"',)),
    ("Le support n'a jamais répondu à mon ticket, c'est inadmissible.", "fr",
     "disappointed", (NONE,)),
    ("Une fois de plus, la synchronisation a échoué.", "fr",
     "chronic", ('words: "une fois de plus"',)),
    ("Jusqu'ici tout allait bien, mais la dernière mise à jour a tout cassé.", "fr",
     "disappointed", (NONE, 'words: "jusqu\'ici"')),
    ("Depuis des mois on signale le même bug, sans arrêt les mêmes excuses.", "fr",
     "chronic", ('words: "depuis des mois", "même bug", "sans arrêt"',)),
    ("D'habitude c'est nickel mais là c'est n'importe quoi", "fr",
     "disappointed", (NONE, 'words: "d\'habitude … mais là"')),
    # --- mixed language / locale that lies: every list is checked ---------------------------
    ("Super déçu. We are still waiting for the migration tool.", "fr",
     "chronic", ('words: "still"',)),
    ("Encore une panne this morning, third time this month.", "en",
     "chronic", ('words: "encore", "third time"',)),
    ("Mais cette fois c'était pire, alors que d'habitude ça va.", "fr",  # parts out of order
     "disappointed", (NONE,)),
]


def test_the_table_is_big_enough_and_bilingual():
    assert len(COMMENTS) >= 40
    assert {locale for _, locale, _, _ in COMMENTS} == {"fr", "en"}
    assert {profile for _, _, profile, _ in COMMENTS} == {"disappointed", "chronic", "structural"}


@pytest.mark.parametrize("comment,locale,profile,signals", COMMENTS,
                         ids=[c[0][:40] for c in COMMENTS])
def test_comment_profile_and_signals(comment, locale, profile, signals):
    result = classify_profile(comment, locale, recent_ticket_count=0, earlier_scores=[], rules=RULES)
    churn_risk = any(signal.startswith(CHURN) for signal in signals)
    assert result == ProfileResult(profile, signals, churn_risk)


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_no_comment_is_disappointed_by_default(comment):
    result = classify_profile(comment, None, recent_ticket_count=None, earlier_scores=[], rules=RULES)
    assert result == ProfileResult("disappointed", (NONE,))


# --- history ---------------------------------------------------------------------------------

def classify(comment="Livraison en retard.", tickets=0, earlier=()):
    return classify_profile(comment, "fr", recent_ticket_count=tickets, earlier_scores=list(earlier),
                            rules=RULES)


@pytest.mark.parametrize("tickets,profile", [(None, "disappointed"), (0, "disappointed"),
                                             (2, "disappointed"), (3, "chronic"), (7, "chronic")])
def test_ticket_count_threshold(tickets, profile):
    assert classify(tickets=tickets).profile == profile


def test_ticket_signal_text():
    assert classify(tickets=4).signals == ("4 Zendesk tickets in the last 90 days",)


def test_ticket_threshold_and_window_come_from_the_mapping(tmp_path):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "profile.json").read_text(encoding="utf-8"))
    raw.update(chronic_ticket_count=5, ticket_window_days=30)
    (tmp_path / "profile.json").write_text(json.dumps(raw), encoding="utf-8")
    rules = load_profile_rules(tmp_path)

    def check(n):
        return classify_profile(None, None, recent_ticket_count=n, earlier_scores=[], rules=rules)

    assert check(4).profile == "disappointed"
    assert check(5) == ProfileResult("chronic", ("5 Zendesk tickets in the last 30 days",))


@pytest.mark.parametrize("earlier,signal", [
    ([("nps", 4)], "earlier detractor answer (NPS 4)"),
    ([("nps", 6)], "earlier detractor answer (NPS 6)"),
    ([("csat", 2)], "earlier detractor answer (CSAT 2)"),
    ([("nps", 9), ("nps", 3), ("csat", 1)], "earlier detractor answers (NPS 3, CSAT 1)"),
])
def test_earlier_detractor_answer_makes_chronic(earlier, signal):
    assert classify(earlier=earlier) == ProfileResult("chronic", (signal,))


@pytest.mark.parametrize("earlier,signal", [
    ([("nps", 7)], "historically satisfied (earlier answers 7+)"),
    ([("nps", 9), ("nps", 8)], "historically satisfied (earlier answers 7+)"),
    ([("csat", 3)], "historically satisfied (earlier answers CSAT 3+)"),
    ([("csat", 5), ("nps", 10)], "historically satisfied (earlier answers NPS 7+, CSAT 3+)"),
])
def test_satisfied_history_is_disappointed(earlier, signal):
    assert classify(earlier=earlier) == ProfileResult("disappointed", (signal,))


def test_chronic_signals_in_order_history_then_words():
    result = classify("Encore la même panne", tickets=3, earlier=[("nps", 5)])
    assert result == ProfileResult("chronic", ("3 Zendesk tickets in the last 90 days",
                                               "earlier detractor answer (NPS 5)",
                                               'words: "encore"'))


def test_structural_wins_over_chronic_history():
    result = classify("Nous passons chez un vrai outil de niveau entreprise.", tickets=12,
                      earlier=[("nps", 2)])
    assert result == ProfileResult("structural", (f'{OTHER}: "niveau entreprise"',))


def test_chronic_words_win_over_disappointed_words():
    result = classify("Usually fine, but this time it broke again.")
    assert result == ProfileResult("chronic", ('words: "again"',))


def test_unknown_survey_type_is_refused():
    with pytest.raises(ValueError, match="survey type"):
        classify(earlier=[("ces", 3)])


# --- matching details ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["d'habitude", "d\u2019habitude", "D\u2018HABITUDE", "d' habitude",
                                  "dhabitude", "d\u02bchabitude"])
def test_apostrophe_variants(text):
    pattern = keywords.compile_pattern("d'habitude")
    assert [h.pattern.text for h in keywords.find(text, [("t", pattern)])] == ["d'habitude"]


@pytest.mark.parametrize("text,found", [
    ("problème", True), ("PROBLEME", True), ("problemes", False), ("unproblème", False),
    ("cœur", False),
])
def test_accents_case_and_word_boundaries(text, found):
    pattern = keywords.compile_pattern("problème")
    assert bool(keywords.find(text, [("t", pattern)])) is found


def test_ligature_is_folded():
    assert keywords.find("Un CŒUR brisé", [("t", keywords.compile_pattern("coeur"))])


def test_gap_needs_both_parts_in_order():
    pattern = keywords.compile_pattern("usually … but this time")
    assert keywords.find("Usually OK.\nBut this time, no.", [("t", pattern)])
    assert not keywords.find("But this time, unlike usually", [("t", pattern)])
    assert not keywords.find("Usually OK", [("t", pattern)])


@pytest.mark.parametrize("bad", ["", "   ", "… but", "usually …", "sat*isfied", "*"])
def test_bad_patterns_are_refused(bad):
    with pytest.raises(ValueError):
        keywords.compile_pattern(bad)


def test_bad_mapping_names_the_field(tmp_path):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "profile.json").read_text(encoding="utf-8"))
    raw["languages"]["fr"]["chronic"]["words"].append("… mais")
    del raw["ticket_window_days"]
    (tmp_path / "profile.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_profile_rules(tmp_path)
    messages = error.value.messages
    assert "ticket_window_days" in messages
    assert "bad pattern '… mais'" in str(messages["languages"]["fr"]["value"]["chronic"])


# The substring test that spares a regex scan must never hide a match: each kind of flexible
# spelling (apostrophe, hyphen, star, gap) still fires, and a pattern whose letters are absent does not.
@pytest.mark.parametrize("pattern, text", [
    ("d'habitude", "Dhabitude tout va bien"), ("d'habitude", "d’ habitude"), ("enterprise-grade", "enterprise grade"),
    ("enterprise-grade", "ENTERPRISEGRADE tool"), ("satisf*", "pas satisfaite"),
    ("usually … but this time", "Usually ok, but this time no"),
    ("déjà", "je cherche deja"), ("cœur", "COEUR"),
])
def test_keyword_prefilter_keeps_every_match(pattern, text):
    from connector.domain.keywords import compile_pattern, find

    assert [hit.tag for hit in find(text, [("t", compile_pattern(pattern))])] == ["t"]


def test_keyword_prefilter_skips_an_absent_pattern():
    from connector.domain.keywords import compile_pattern, find

    assert find("rien à signaler", [("t", compile_pattern("enterprise-grade"))]) == []


# The index looks a pattern up by a word every match holds whole: it must find what the plain
# list finds, with the patterns it tests by needle (star, hyphen, apostrophe) and in the same order.
@pytest.mark.parametrize("pattern, text", [
    ("d'habitude", "Dhabitude tout va bien"), ("d'habitude", "d’ habitude"), ("enterprise-grade", "enterprise grade"),
    ("enterprise-grade", "ENTERPRISEGRADE tool"), ("satisf*", "pas satisfaite"), ("pas satisf*", "PAS satisfait"),
    ("usually … but this time", "Usually ok, but this time no"), ("every time", "every-time, every time!"),
    ("déjà", "je cherche deja"), ("cœur", "COEUR"), ("again", "against"), ("again", "again_and"),
])
def test_the_index_finds_what_the_list_finds(pattern, text):
    entries = [("t", keywords.compile_pattern(pattern)), ("u", keywords.compile_pattern("time"))]
    assert keywords.find(text, keywords.Index(entries)) == keywords.find(text, entries)


def test_the_index_keeps_the_order_of_hits_at_one_position():
    entries = [("first", keywords.compile_pattern("again")), ("second", keywords.compile_pattern("aga*")),
               ("third", keywords.compile_pattern("again"))]
    assert [hit.tag for hit in keywords.find("Again.", keywords.Index(entries))] == ["first", "second", "third"]


def test_the_default_tables_match_alike_through_the_index():
    rules = load_profile_rules()
    for text in [t for _, p in rules.patterns for t in (p.text.replace("*", "s"), p.text.upper() + " encore")]:
        assert keywords.find(text, rules.index) == keywords.find(text, list(rules.patterns)), text
