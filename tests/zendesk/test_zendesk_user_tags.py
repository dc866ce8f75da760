"""A customer's user tags (Zendesk Tags API): the stand-in is as strict as Zendesk on the add
(``PUT``) and remove (``DELETE``) calls, and the adapter sends exactly the documented request."""
import base64

import pytest
import responses
from responses import matchers

from connector.ports.errors import PermanentError, RetryableError
from connector.providers.zendesk import ZendeskAdapter
from connector.sandbox.zendesk import STANDIN_API_TOKEN, STANDIN_EMAIL

AUTH = {"Authorization": "Basic " + base64.b64encode(
    f"{STANDIN_EMAIL}/token:{STANDIN_API_TOKEN}".encode()).decode()}
TAG = "priority_support_until_2027-03-04"


@pytest.fixture
def customer(state):
    return state.add_user("Marie", "marie@example.com")


def test_add_is_a_set_union_and_answers_every_tag(app, state, customer):
    http, url = app.test_client(), f"/api/v2/users/{customer['id']}/tags.json"
    first = http.put(url, json={"tags": [TAG, "VIP"]}, headers=AUTH)
    again = http.put(url, json={"tags": [TAG]}, headers=AUTH)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == {"tags": [TAG, "vip"]}
    assert state.users[customer["id"]]["tags"] == [TAG, "vip"]
    assert [call[0] for call in state.user_tag_calls] == ["PUT"]  # the repeat changed nothing


def test_remove_answers_204_and_removing_an_absent_tag_is_fine(app, state, customer):
    http, url = app.test_client(), f"/api/v2/users/{customer['id']}/tags"
    http.put(url, json={"tags": [TAG, "vip"]}, headers=AUTH)
    removed = http.delete(url, json={"tags": [TAG]}, headers=AUTH)
    assert removed.status_code == 204 and removed.data == b""
    assert http.delete(url, json={"tags": [TAG]}, headers=AUTH).status_code == 204
    assert state.users[customer["id"]]["tags"] == ["vip"]


@pytest.mark.parametrize("body,status", [
    (None, 400), ({}, 400), ({"tags": []}, 400), ({"tags": "vip"}, 400), ({"tags": [1]}, 400),
    ({"tags": ["vip"], "user": {}}, 400), ({"tags": ["two words"]}, 422),
])
def test_malformed_bodies_are_refused(app, state, customer, body, status):
    answer = app.test_client().put(f"/api/v2/users/{customer['id']}/tags.json", json=body, headers=AUTH)
    assert answer.status_code == status
    assert state.users[customer["id"]]["tags"] == []


def test_an_unknown_user_is_404_and_auth_is_required(app, customer):
    http = app.test_client()
    assert http.put("/api/v2/users/999999/tags.json", json={"tags": [TAG]}, headers=AUTH).status_code == 404
    assert http.put(f"/api/v2/users/{customer['id']}/tags.json", json={"tags": [TAG]}).status_code == 401


CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.example", "ZENDESK_API_TOKEN": "tok"}
USER_TAGS = "https://acme.zendesk.com/api/v2/users/55/tags.json"


@responses.activate
def test_the_adapter_sends_the_documented_calls(mapping):
    adapter = ZendeskAdapter.from_config(CONFIG, mapping)
    body = [matchers.json_params_matcher({"tags": [TAG]})]
    responses.put(USER_TAGS, json={"tags": [TAG]}, match=body)
    responses.delete(USER_TAGS, status=204, match=body)
    responses.get("https://acme.zendesk.com/api/v2/tickets/7.json", json={"ticket": {"id": 7, "requester_id": 55}})
    assert adapter.requester_of(7) == 55
    adapter.add_user_tags(55, [TAG])
    adapter.remove_user_tags(55, [TAG])
    assert [call.request.method for call in responses.calls] == ["GET", "PUT", "DELETE"]


@pytest.mark.parametrize("status,error", [(404, PermanentError), (422, PermanentError), (503, RetryableError)])
@responses.activate
def test_adapter_errors_say_whether_to_retry(mapping, status, error):
    adapter = ZendeskAdapter.from_config(CONFIG, mapping)
    responses.put(USER_TAGS, json={"error": "RecordNotFound"}, status=status)
    with pytest.raises(error, match="user tags add"):
        adapter.add_user_tags(55, [TAG])
