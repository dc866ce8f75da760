"""The "Recovery cause" drop-down: real zenpy over HTTP against the stand-in, which serves the
Ticket Fields API strictly (a tagger needs options; a ticket's drop-down value must be an option,
and it is the ticket's tag)."""
import dataclasses

import pytest
import requests

from connector.ports.errors import PermanentError, RetryableError
from connector.providers.zendesk import ZendeskAdapter
from connector.providers.zendesk.mapping import CAUSE_FIELD_TITLE
from connector.sandbox.server import BackgroundServer
from connector.sandbox.zendesk import STANDIN_API_TOKEN, STANDIN_EMAIL

pytestmark = pytest.mark.e2e
AUTH = (f"{STANDIN_EMAIL}/token", STANDIN_API_TOKEN)


@pytest.fixture
def server(app):
    with BackgroundServer(app) as running:
        yield running


@pytest.fixture
def adapter(server, mapping):
    return ZendeskAdapter.from_config({"ZENDESK_EMAIL": STANDIN_EMAIL, "ZENDESK_API_TOKEN": STANDIN_API_TOKEN,
                                       "ZENDESK_BASE_URL": server.url}, mapping)


def _cause_fields(state):
    return [f for f in state.ticket_fields.values() if f["title"] == CAUSE_FIELD_TITLE]


def test_the_field_is_created_once_with_every_cause_as_an_option(adapter, state, mapping, server):
    field_id = adapter.ensure_cause_field()
    assert adapter.ensure_cause_field() == field_id
    (field,) = _cause_fields(state)
    assert field["type"] == "tagger" and field["id"] == field_id
    assert [(o["value"], o["name"]) for o in field["custom_field_options"]] == list(mapping.cause_options)
    assert [o["value"] for o in field["custom_field_options"]][0] == "cause_billing"
    # A new adapter (another worker) finds it instead of creating a second one.
    other = ZendeskAdapter.from_config({"ZENDESK_EMAIL": STANDIN_EMAIL, "ZENDESK_API_TOKEN": STANDIN_API_TOKEN,
                                        "ZENDESK_BASE_URL": server.url}, mapping)
    assert other.ensure_cause_field() == field_id and len(_cause_fields(state)) == 1


def test_options_the_taxonomy_gained_are_added_to_an_existing_field(adapter, state, mapping, server):
    created = requests.post(f"{server.url}/api/v2/ticket_fields.json", auth=AUTH, json={"ticket_field": {
        "type": "tagger", "title": CAUSE_FIELD_TITLE,
        "custom_field_options": [{"name": "Billing (renamed by an admin)", "value": "cause_billing"}]}})
    assert created.status_code == 201
    assert adapter.ensure_cause_field() == created.json()["ticket_field"]["id"]
    (field,) = _cause_fields(state)
    options = {o["value"]: o["name"] for o in field["custom_field_options"]}
    assert options["cause_billing"] == "Billing (renamed by an admin)"  # the admin's label is kept
    assert set(options) == {tag for tag, _ in mapping.cause_options}


def test_a_ticket_tagged_with_the_cause_shows_it_and_a_change_swaps_the_tag(adapter, state, make_case, ledger):
    adapter.ensure_cause_field()
    ticket_id = adapter.open_ticket(make_case(cause="billing", cause_words=("facture",)), ledger, first_attempt=True)
    ticket = state.tickets[ticket_id]
    (field,) = _cause_fields(state)
    assert "cause_billing" in ticket["tags"]
    assert {"id": field["id"], "value": "cause_billing"} in ticket["custom_fields"]
    assert 'Cause: billing (suggested from "facture"' in state.comments[ticket_id][0]["body"]

    adapter.set_cause(ticket_id, "delivery")
    assert "cause_delivery" in ticket["tags"] and "cause_billing" not in ticket["tags"]
    assert {"id": field["id"], "value": "cause_delivery"} in ticket["custom_fields"]
    assert "nps_detractor" in ticket["tags"]  # the other tags stay


def test_the_standin_refuses_what_zendesk_refuses(adapter, state, make_case, ledger, server):
    def post(field):
        return requests.post(f"{server.url}/api/v2/ticket_fields.json", auth=AUTH, json={"ticket_field": field})

    assert post({"type": "tagger", "title": "No options"}).status_code == 422
    assert post({"type": "tagger", "title": "Bad", "custom_field_options": [{"name": "A", "value": "a b"}]}
                ).status_code == 422
    assert post({"type": "tagger", "title": "Twice", "custom_field_options": [
        {"name": "A", "value": "a"}, {"name": "B", "value": "A"}]}).status_code == 422
    assert post({"type": "lookup", "title": "Other type"}).status_code == 422
    assert requests.post(f"{server.url}/api/v2/ticket_fields.json", auth=AUTH, json={"type": "tagger"}
                         ).status_code == 400
    adapter.ensure_cause_field()
    ticket_id = adapter.open_ticket(make_case(), ledger, first_attempt=True)
    with pytest.raises(PermanentError):  # not one of the drop-down's options
        adapter.set_cause(ticket_id, "weather")
    assert not any(t.startswith("cause_") for t in state.tickets[ticket_id]["tags"])


def test_without_a_cause_the_ticket_has_no_cause_tag(adapter, state, make_case, ledger):
    ticket_id = adapter.open_ticket(dataclasses.replace(make_case(), cause=None), ledger, first_attempt=True)
    assert not any(t.startswith("cause_") for t in state.tickets[ticket_id]["tags"])
    assert "Cause: none suggested" in state.comments[ticket_id][0]["body"]


def test_many_tickets_are_tagged_in_one_update_many_job(adapter, state, make_case, new_ledger):
    adapter.sleep = lambda seconds: None  # the job completes at the first poll
    ids = [adapter.open_ticket(make_case(case_id=100 + n), new_ledger(), first_attempt=True) for n in range(6)]
    before = state.calls.count("PUT")
    adapter.tag_tickets(ids, ["systemic_billing"], "Part of systemic issue #1.")
    assert state.calls.count("PUT") - before == 1 and state.calls.count("PUT", "/api/v2/tickets/update_many") == 1
    for ticket_id in ids:
        assert "systemic_billing" in state.tickets[ticket_id]["tags"] and "nps_detractor" in state.tickets[ticket_id]["tags"]
        assert state.comments[ticket_id][-1]["body"] == "Part of systemic issue #1." and not state.comments[ticket_id][-1]["public"]
    # A few go one by one (no job to poll); a ticket the job could not update is an error.
    adapter.tag_tickets(ids[:2], ["systemic_other"], "Note.")
    assert state.calls.count("PUT", "/api/v2/tickets/update_many") == 1
    state.tickets[ids[0]]["status"] = "closed"  # Zendesk refuses to update a closed ticket
    with pytest.raises(RetryableError):
        adapter.tag_tickets(ids, ["systemic_x"], "Note.")


def test_the_standin_refuses_a_bad_update_many(server):
    def put(ids, body):
        return requests.put(f"{server.url}/api/v2/tickets/update_many.json", params={"ids": ids}, auth=AUTH, json=body)

    assert put("", {"ticket": {"additional_tags": ["x"]}}).status_code == 400
    assert put("1,a", {"ticket": {"additional_tags": ["x"]}}).status_code == 400
    assert put(",".join(map(str, range(1, 102))), {"ticket": {"additional_tags": ["x"]}}).status_code == 400
    assert put("1", {"tickets": []}).status_code == 400
