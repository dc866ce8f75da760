"""The stand-in's incremental ticket export is as strict as Zendesk's: start_time rules, opaque
cursor paging, per-page limit, end_of_stream, the last minute left out, users side-loaded, and its
own 10-a-minute limit with 429 + Retry-After."""
import base64
from datetime import datetime, timedelta, timezone

import pytest

from connector.sandbox.zendesk import STANDIN_API_TOKEN, STANDIN_EMAIL, create_zendesk_standin

PATH = "/api/v2/incremental/tickets/cursor.json"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{STANDIN_EMAIL}/token:{STANDIN_API_TOKEN}".encode()).decode()}
START = int((datetime.now(timezone.utc) - timedelta(days=91)).timestamp())


def now() -> datetime:  # read when used: a long test session must not age it past the last minute
    return datetime.now(timezone.utc)


def standin(limit=None):
    app = create_zendesk_standin(export_limit_per_minute=limit)
    return app, app.extensions["zendesk_standin"], app.test_client()


def get(client, **params):
    return client.get(PATH, query_string=params, headers=AUTH)


@pytest.mark.parametrize("params,message", [
    ({}, "start_time or cursor is required"),
    ({"start_time": "yesterday"}, "start_time must be an integer"),
    ({"start_time": "recent"}, "Too recent start_time"),  # 30 s ago, set below
    ({"start_time": "future"}, "Too recent start_time"),  # in an hour
    ({"cursor": "not-one-of-ours"}, "cursor is invalid"),
    ({"start_time": str(START), "per_page": "0"}, "per_page must be at least 1"),
    ({"start_time": str(START), "per_page": "many"}, "per_page must be an integer"),
])
def test_bad_parameters_are_refused(params, message):
    _, _, client = standin()
    moments = {"recent": now() - timedelta(seconds=30), "future": now() + timedelta(hours=1)}
    if params.get("start_time") in moments:
        params = {"start_time": str(int(moments[params["start_time"]].timestamp()))}
    response = get(client, **params)
    assert response.status_code == 400
    assert message in response.get_json()["description"]


def test_unauthenticated_is_refused():
    _, _, client = standin()
    assert client.get(PATH, query_string={"start_time": START}).status_code == 401


def test_cursor_pages_until_end_of_stream_with_users_side_loaded():
    _, state, client = standin()
    for n in range(2500):
        state.seed_ticket(f"c{n % 7}@example.com", now() - timedelta(days=30, minutes=n))
    state.seed_ticket("old@example.com", now() - timedelta(days=200))  # before start_time: never exported
    first = get(client, start_time=START, include="users").get_json()
    assert len(first["tickets"]) == 1000 and first["end_of_stream"] is False  # 1,000 a page at most
    assert {u["email"] for u in first["users"]} == {f"c{n}@example.com" for n in range(7)}
    seen, body, pages = [t["id"] for t in first["tickets"]], first, 1
    while not body["end_of_stream"]:
        body = get(client, cursor=body["after_cursor"], include="users", per_page=5000).get_json()  # capped
        seen += [t["id"] for t in body["tickets"]]
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 2500
    stamps = [t["generated_timestamp"] for t in first["tickets"]]
    assert stamps == sorted(stamps)  # oldest change first
    again = get(client, cursor=body["after_cursor"]).get_json()  # nothing changed since: an empty page
    assert again["tickets"] == [] and again["end_of_stream"] is True and again["after_cursor"]
    assert "users" not in again


def test_a_later_pull_from_the_cursor_brings_only_what_changed_and_settled():
    _, state, client = standin()
    kept = state.seed_ticket("a@example.com", now() - timedelta(days=10))
    changed = state.seed_ticket("b@example.com", now() - timedelta(days=9))
    body = get(client, start_time=START).get_json()
    assert body["end_of_stream"] and [t["id"] for t in body["tickets"]] == [kept["id"], changed["id"]]
    changed["updated_at"] = (now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = state.seed_ticket("c@example.com", now() - timedelta(seconds=10))  # the last minute: not yet
    later = get(client, cursor=body["after_cursor"]).get_json()
    assert [t["id"] for t in later["tickets"]] == [changed["id"]]
    assert fresh["id"] not in [t["id"] for t in later["tickets"]]


def test_its_own_limit_answers_429_with_retry_after():
    _, _, client = standin(limit=10)
    answers = [get(client, start_time=START) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429 and 1 <= int(answers[10].headers["Retry-After"]) <= 60
    assert client.get("/api/v2/tickets.json", headers=AUTH).status_code == 200  # the rest of the API still answers
