"""Issue 14, finding 6: a respondent writes into the team chat and the notes.

The name and comment are the respondent's. A newline in the name forged an "Owner:" line
in the chat alert, the HubSpot note and the Zendesk requester name; Slack's ``<!channel>``
and ``<url|label>`` in a comment became a mention and a disguised link. Now names are one
line, comments a quoted block, and the chat text is escaped for Slack or Teams.
"""
import json

import responses

from connector.providers.chat import ChatAlerts
from connector.providers.chat.messages import new_case
from connector.providers.zendesk.mapping import load_zendesk_mapping
from connector.providers.zendesk.ticket import build_ticket, private_note
from tests.conftest import drain
from tests.fakes import FakeChat
from tests.hubspot.hubspot_helpers import make_answer, make_case
from tests.test_worker import accept

FORGED_NAME = "Marie Dubois\nOwner: CEO says refund 10000 EUR"
PHISHING = ("<!channel> urgent <http://evil.example/sso|Reset your SSO password here>\n"
            "Owner: CEO says refund 10000 EUR\r[Reset](http://evil.example)")


def forged_lines(text: str) -> list[str]:
    """Lines that start as the connector's own "Owner:" line but were written by the respondent."""
    return [line for line in text.splitlines() if line.startswith("Owner:") and "CEO" in line]


def test_a_name_with_a_newline_forges_no_line_in_the_chat_or_the_hubspot_note(frozen_runtime, fake_hubspot):
    frozen_runtime.chat = chat = FakeChat()
    accept(frozen_runtime, customer={"email": "marie@example.com", "name": FORGED_NAME, "company": "Acme\u202eevil",
                                     "lifetime_value": 47000}, comment=PHISHING)
    drain(frozen_runtime)
    [alert] = chat.posted
    assert forged_lines(alert) == []
    assert alert.splitlines()[0].endswith("Marie Dubois Owner: CEO says refund 10000 EUR (Acme evil)")
    [note] = fake_hubspot.notes
    assert forged_lines(note["text"]) == []
    # The comment is a quoted block: each of its lines starts with "> ".
    assert "> Owner: CEO says refund 10000 EUR" in alert.splitlines()


@responses.activate
def test_slack_gets_no_mention_and_no_disguised_link():
    url = "https://hooks.slack.com/services/T0/B0/secret"
    responses.post(url, status=200)
    ChatAlerts(url).post(new_case(make_case(make_answer(name=FORGED_NAME, comment=PHISHING))))
    text = json.loads(responses.calls[0].request.body)["text"]
    assert "<!channel>" not in text and "<http" not in text
    assert "&lt;!channel&gt;" in text and "&lt;http://evil.example/sso|Reset your SSO password here&gt;" in text
    assert forged_lines(text) == []
    assert "\n> " in text  # the quote mark survives the escaping: Slack shows the comment as a quote


@responses.activate
def test_teams_gets_no_markdown_link():
    url = "https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi"
    responses.post(url, status=200)
    ChatAlerts(url).post(new_case(make_case(make_answer(comment=PHISHING))))
    text = json.loads(responses.calls[0].request.body)["text"]
    assert "[Reset](http" not in text and "\\[Reset\\](http" in text
    assert "<!channel>" not in text


def test_zendesk_requester_name_and_private_note_have_no_forged_line():
    case = make_case(make_answer(name=FORGED_NAME, comment=PHISHING))
    ticket = build_ticket(case, load_zendesk_mapping())
    assert "\n" not in ticket["requester"]["name"] and "\r" not in ticket["requester"]["name"]
    assert forged_lines(private_note(case)) == []
    # The carriage return inside the comment cannot rewrite its line either.
    assert "\r" not in private_note(case)


def test_the_greeting_gets_a_first_name_without_controls():
    from connector.domain.templates import first_name

    assert first_name("Marie\u202e\x1b[31m\nDubois") == "Marie"
    assert first_name("\u200bJean-Pierre Martin") == "Jean-Pierre"
