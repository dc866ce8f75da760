"""One zenpy client serves every worker thread: a response handled in one thread must never mark
clean the ticket another thread is still sending (``providers.zendesk.threads``)."""
import threading

from zenpy.lib.api_objects import Comment, Ticket, User

from connector.providers.zendesk.client import build_client

CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "bot@example.com", "ZENDESK_API_TOKEN": "t0ken"}


def test_a_response_in_one_thread_leaves_the_ticket_another_thread_is_sending_intact():
    client, _ = build_client(CONFIG)
    tickets = client.tickets
    being_sent = Ticket(subject="Recovery", comment=Comment(body="note", public=False),
                        requester=User(email="marie@example.com", name="Marie"))
    tickets._serialize(being_sent)  # this thread serialises it: zenpy remembers it to clean later
    other = threading.Thread(target=tickets._clean_dirty_objects)  # another thread's answer arrives
    other.start()
    other.join()
    payload = tickets._serialize(being_sent)
    assert payload["requester"] == {"email": "marie@example.com", "name": "Marie"}
    assert payload["comment"] == {"body": "note", "public": False}
    tickets._clean_dirty_objects()  # its own answer: now it is clean
    assert "requester" not in tickets._serialize(being_sent)
