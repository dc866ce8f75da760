"""Which tool sends the day-60 re-survey, and the question it carries (pure rules)."""
import pytest

from connector.domain.resurvey import QUESTIONS, channel, question


@pytest.mark.parametrize("source,configured,expected", [
    ("delighted", {"delighted", "webhook"}, "delighted"),   # the case's own tool first
    ("delighted", {"webhook"}, "webhook"),                  # no Delighted key: the webhook
    ("delighted", set(), "manual"),
    ("typeform", {"delighted", "webhook"}, "webhook"),      # Delighted only re-surveys its own cases
    ("generic", {"delighted"}, "manual"),
    ("generic", set(), "manual"),
])
def test_the_channel(source, configured, expected):
    assert channel(source, configured) == expected


@pytest.mark.parametrize("locale,expected", [
    ("fr", "fr"), ("fr-CA", "fr"), ("FR_be", "fr"), ("en-GB", "en"), ("de", "en"), (None, "en"), ("", "en")])
def test_the_open_question_is_in_the_customers_language(locale, expected):
    assert question(locale) == QUESTIONS[expected]
