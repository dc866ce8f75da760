"""Issue 14, finding 9: CR/LF chosen by a sender reached the shared log as a forged line.

The log-record factory now writes every control character of a message (arguments
included) out as an escape, so one record is one line whatever a sender puts in it.
"""
import logging

from connector.infra.logs import install_redaction
from tests.signing import post_zendesk_event, zendesk_event

FORGED = "2026-12-04 10:00:00,000 ERROR connector.web.auth admin login from 10.0.0.1"


def test_a_control_character_in_an_argument_stays_on_its_line(caplog):
    install_redaction()
    caplog.set_level(logging.INFO)
    logging.getLogger("probe").info("event type=%s from=%s", f"ticket.x\r\n{FORGED}", "a\x1b[31mred\u2028b")
    [record] = [r for r in caplog.records if r.name == "probe"]
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message and "\x1b" not in message and "\u2028" not in message
    assert f"ticket.x\\r\\n{FORGED}" in message and "\\x1b[31m" in message
    assert "\n" not in caplog.text.rstrip("\n")  # as the handler formatted it: one line


def test_a_sender_chosen_event_type_is_logged_on_one_line(client, caplog):
    install_redaction()
    caplog.set_level(logging.DEBUG)
    event = zendesk_event("tags_changed", 1, None)
    event["type"] = f"zen:event-type:ticket.bogus\n{FORGED}"
    post_zendesk_event(client, event)
    client.get(f"/webhooks/zendesk\r\n{FORGED}")
    for record in caplog.records:
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage(), record.getMessage()
