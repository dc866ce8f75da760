"""The incremental ticket export client against mocked HTTP (``responses``): the first request
from ``start_time``, the next from ``after_cursor``, users side-loaded, its own limit taken first,
and errors that keep the job's place."""
from datetime import datetime, timezone

import pytest
import responses
from responses import matchers

from connector.ports.errors import PermanentError, RetryableError
from connector.providers.zendesk import ZendeskAdapter

ORIGIN = "https://acme.zendesk.com"
EXPORT = f"{ORIGIN}/api/v2/incremental/tickets/cursor.json"
CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.example", "ZENDESK_API_TOKEN": "t-123"}
START = datetime(2026, 9, 1, tzinfo=timezone.utc)


def page(*tickets, users=(), cursor="c2", end=False):
    return {"tickets": [{"id": i, "requester_id": r, "created_at": "2026-10-01T10:00:00Z",
                         "updated_at": "2026-10-02T10:00:00Z", "status": "Open", "subject": "private words"}
                        for i, r in tickets],
            "users": [{"id": u, "email": e, "name": "N"} for u, e in users],
            "after_cursor": cursor, "after_url": f"{EXPORT}?cursor={cursor}", "end_of_stream": end}


@pytest.fixture
def adapter(mapping):
    return ZendeskAdapter.from_config(CONFIG, mapping)


@responses.activate
def test_first_page_from_start_time_with_users_side_loaded(adapter):
    responses.get(EXPORT, json=page((1, 50), (2, 51), users=[(50, "Marie@Example.com"), (51, None)]),
                  match=[matchers.query_param_matcher({"start_time": str(int(START.timestamp())),
                                                       "include": "users", "per_page": "1000"})])
    result = adapter.export_tickets(None, START)
    assert [(t.ticket_id, t.requester_id, t.status) for t in result.tickets] == [(1, 50, "open"), (2, 51, "open")]
    assert result.tickets[0].created_at == datetime(2026, 10, 1, 10, tzinfo=timezone.utc)
    assert result.emails == {50: "Marie@Example.com", 51: None}
    assert (result.after_cursor, result.end_of_stream) == ("c2", False)


@responses.activate
def test_next_pages_follow_the_cursor_and_never_send_start_time(adapter):
    responses.get(EXPORT, json=page((3, 50), cursor="c3", end=True),
                  match=[matchers.query_param_matcher({"cursor": "c2", "include": "users", "per_page": "1000"})])
    result = adapter.export_tickets("c2", START)
    assert [t.ticket_id for t in result.tickets] == [3]
    assert (result.after_cursor, result.end_of_stream) == ("c3", True)


def test_a_first_export_needs_a_start_time(adapter):
    with pytest.raises(ValueError):
        adapter.export_tickets(None, None)


@responses.activate
def test_the_exports_own_limit_is_taken_before_the_call(adapter):
    calls = []
    adapter.set_export_throttle(lambda: calls.append(len(responses.calls)))
    responses.get(EXPORT, json=page(end=True))
    adapter.export_tickets("c1", None)
    assert calls == [0]  # taken before the request went out


@responses.activate
def test_our_limit_saying_wait_makes_no_call(adapter):
    def busy():
        raise RetryableError("export limit", retry_after=6.0)
    adapter.set_export_throttle(busy)
    with pytest.raises(RetryableError):
        adapter.export_tickets("c1", None)
    assert len(responses.calls) == 0


@responses.activate
def test_429_is_retryable_after_zendesks_wait(adapter):
    responses.get(EXPORT, status=429, headers={"Retry-After": "42"},
                  json={"error": "TooManyRequests", "description": "Number of allowed incremental export API requests per minute exceeded"})
    with pytest.raises(RetryableError) as caught:
        adapter.export_tickets("c1", None)
    assert caught.value.retry_after == 42


@responses.activate
def test_a_refused_cursor_is_permanent(adapter):
    responses.get(EXPORT, status=400, json={"error": "InvalidPaginationParameter", "description": "cursor is invalid"})
    with pytest.raises(PermanentError) as caught:
        adapter.export_tickets("bogus", None)
    assert "InvalidPaginationParameter" in str(caught.value)


@pytest.mark.parametrize("body", ["<html>proxy error</html>", '{"tickets": "nope", "end_of_stream": true}',
                                  '{"tickets": []}'])
@responses.activate
def test_an_unreadable_page_is_retried_and_names_no_value(adapter, body):
    responses.get(EXPORT, body=body, content_type="application/json")
    with pytest.raises(RetryableError) as caught:
        adapter.export_tickets("c1", None)
    assert "proxy" not in str(caught.value) and "nope" not in str(caught.value)
