"""The split of a survey's free-text name into HubSpot's firstname / lastname."""
import pytest

from connector.domain.names import company_name, split_name


@pytest.mark.parametrize("full, first, last", [
    ("Marie Dubois", "Marie", "Dubois"),
    ("  Marie   Dubois ", "Marie", "Dubois"),
    ("Dubois, Marie", "Marie", "Dubois"),
    ("Dubois , Marie Anne", "Marie Anne", "Dubois"),
    ("DUBOIS Marie", "Marie", "DUBOIS"),
    ("LE GALL Anne-Sophie", "Anne-Sophie", "LE GALL"),
    ("Jean-Pierre Martin", "Jean-Pierre", "Martin"),
    ("Marie Anne Dubois", "Marie Anne", "Dubois"),
    ("Jean de La Fontaine", "Jean", "de La Fontaine"),
    ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
    ("John Smith Jr.", "John", "Smith Jr."),
    ("Smith, John Jr.", "John", "Smith Jr."),
    ("Dubois, Mme Marie", "Marie", "Dubois"),
    ("Dubois,", "Dubois", None),
    ("Mme Marie Dubois", "Marie", "Dubois"),
    ("Dr. John Smith", "John", "Smith"),
    ("Mme Dubois", None, "Dubois"),             # a title before one word: a surname
    ("Marie", "Marie", None),
    ("Madonna", "Madonna", None),
    ("MARIE DUBOIS", "MARIE", "DUBOIS"),         # all capitals: no surname-first signal
    ("李 小龙", "李", "小龙"),
    ("", None, None),
    (None, None, None),
    ("   ", None, None),
    ("marie@example.com", None, None),
    ("Marie\nOwner: CEO", "Marie Owner:", "CEO"),  # one line: no forged second line
    ("Ma\u200brie\u202e Dubois", "Ma rie", "Dubois"),
])
def test_split_name(full, first, last):
    name = split_name(full)
    assert (name.first, name.last) == (first, last)


def test_a_split_name_never_carries_control_characters_and_is_bounded():
    name = split_name("Marie\r\n\x1b[31m" + "x" * 500 + " Dubois\t")
    assert all(c.isprintable() for c in (name.first or "") + (name.last or ""))
    assert len(name.first or "") <= 100 and name.last == "Dubois"


@pytest.mark.parametrize("raw, clean", [
    ("Acme", "Acme"), ("  Acme\nSAS ", "Acme SAS"), ("", None), (None, None), ("\u202e\u200b", None),
])
def test_company_name(raw, clean):
    assert company_name(raw) == clean
