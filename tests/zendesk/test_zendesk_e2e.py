"""Real zenpy over HTTP against the stand-in, on a loopback port."""
import logging
import time

import pytest

from connector.ports.errors import PermanentError, RetryableError
from connector.ports.keys import ZENDESK_TICKET
from connector.providers.zendesk import ZendeskAdapter
from connector.sandbox.server import BackgroundServer
from connector.sandbox.zendesk import STANDIN_API_TOKEN, STANDIN_EMAIL, create_zendesk_standin

pytestmark = pytest.mark.e2e


def config(server, token=STANDIN_API_TOKEN):
    return {"ZENDESK_EMAIL": STANDIN_EMAIL, "ZENDESK_API_TOKEN": token,
            "ZENDESK_BASE_URL": server.url}


@pytest.fixture
def server(app):
    with BackgroundServer(app) as running:
        yield running


@pytest.fixture
def adapter(server, mapping):
    return ZendeskAdapter.from_config(config(server), mapping)


def test_open_ticket_creates_one_ticket_with_the_spec_fields(adapter, state, case, ledger):
    ticket_id = adapter.open_ticket(case, ledger, first_attempt=True)

    assert list(state.tickets) == [ticket_id]
    assert ledger.get(ZENDESK_TICKET) == str(ticket_id)
    stored = state.tickets[ticket_id]
    assert (stored["type"], stored["priority"], stored["status"]) == ("task", "urgent", "new")
    assert stored["due_at"] == "2026-11-20T22:37:00Z"
    assert stored["external_id"] == "recovery-42"
    assert stored["tags"] == ["nps_detractor", "recovery_chronic", "value_critical",
                              "severity_critical"]
    assert state.users[stored["requester_id"]]["email"] == case.answer.customer_email
    (note,) = state.comments[ticket_id]
    assert note["public"] is False and case.answer.comment in note["body"]
    assert adapter.ticket_url(ticket_id).endswith(f"/agent/tickets/{ticket_id}")


def test_retry_with_a_lost_ledger_write_finds_the_ticket(adapter, state, case, new_ledger):
    first = adapter.open_ticket(case, new_ledger(), first_attempt=True)
    again = adapter.open_ticket(case, new_ledger(), first_attempt=False)

    assert again == first and len(state.tickets) == 1
    assert state.calls.count("POST", "/api/v2/tickets") == 1


def test_replayed_create_is_answered_by_the_idempotency_key(adapter, state, case, new_ledger):
    first = adapter.open_ticket(case, new_ledger(), first_attempt=True)
    again = adapter.open_ticket(case, new_ledger(), first_attempt=True)

    assert again == first and len(state.tickets) == 1
    assert state.calls.count("POST", "/api/v2/tickets", status=201) == 2


def test_replay_from_a_newer_snapshot_still_finds_the_ticket(adapter, state, make_case,
                                                             new_ledger):
    first = adapter.open_ticket(make_case(), new_ledger(), first_attempt=True)
    newer = make_case(done=("recognition",), priority="high")
    again = adapter.open_ticket(newer, new_ledger(), first_attempt=True)

    assert again == first and len(state.tickets) == 1
    assert state.calls.count("POST", "/api/v2/tickets", status=400) == 1


def test_server_error_then_recovery(adapter, state, case, ledger):
    state.faults.fail_next(1, 500)
    with pytest.raises(RetryableError):
        adapter.open_ticket(case, ledger, first_attempt=True)
    assert state.tickets == {} and ledger.get(ZENDESK_TICKET) is None

    ticket_id = adapter.open_ticket(case, ledger, first_attempt=False)
    assert list(state.tickets) == [ticket_id]


def test_connection_refused_is_retryable(adapter, server, state, case, ledger):
    server.stop()
    with pytest.raises(RetryableError):
        adapter.open_ticket(case, ledger, first_attempt=True)
    server.start()
    assert adapter.open_ticket(case, ledger, first_attempt=False) in state.tickets


def test_rate_limit_surfaces_at_once_with_retry_after(mapping, case, ledger):
    app = create_zendesk_standin(rate_limit_per_minute=1)
    with BackgroundServer(app) as server:
        adapter = ZendeskAdapter.from_config(config(server), mapping)
        adapter.find_ticket("warm-up")   # uses the only call of this minute
        started = time.monotonic()
        with pytest.raises(RetryableError) as caught:
            adapter.open_ticket(case, ledger, first_attempt=True)
        assert time.monotonic() - started < 5  # zenpy did not sleep on Retry-After
    assert 1 <= caught.value.retry_after <= 60
    assert app.extensions["zendesk_standin"].tickets == {}


def test_bad_token_is_permanent_and_not_echoed(server, mapping, case, ledger):
    adapter = ZendeskAdapter.from_config(config(server, token="wrong-token-xyz"), mapping)
    with pytest.raises(PermanentError) as caught:
        adapter.open_ticket(case, ledger, first_attempt=True)
    assert "HTTP 401" in str(caught.value) and "wrong-token-xyz" not in str(caught.value)


def test_update_ticket_escalates_and_adds_a_private_note(adapter, state, case, ledger):
    ticket_id = adapter.open_ticket(case, ledger, first_attempt=True)

    adapter.update_ticket(ticket_id, priority="urgent", due_at=case.stages[1].due_at,
                          tags_add=("recovery_overdue",), note="Recognition is overdue.")

    stored = state.tickets[ticket_id]
    assert stored["due_at"] == "2026-11-21T16:37:00Z"
    assert "recovery_overdue" in stored["tags"] and "nps_detractor" in stored["tags"]
    assert [c["public"] for c in state.comments[ticket_id]] == [False, False]
    assert state.comments[ticket_id][-1]["body"] == "Recognition is overdue."


def test_rejected_update_is_permanent_and_names_the_field(adapter, case, ledger):
    ticket_id = adapter.open_ticket(case, ledger, first_attempt=True)
    rejected = r"HTTP 422 RecordInvalid \(fields: priority\)"
    with pytest.raises(PermanentError, match=rejected) as caught:
        adapter.update_ticket(ticket_id, priority="critical")
    assert (caught.value.status, caught.value.code, caught.value.fields) == (
        422, "RecordInvalid", ("priority",))


def test_logs_carry_no_email_comment_or_token(adapter, case, ledger, caplog):
    caplog.set_level(logging.DEBUG)
    ticket_id = adapter.open_ticket(case, ledger, first_attempt=True)
    adapter.update_ticket(ticket_id, note=f"Called back: {case.answer.comment}")

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert f"ticket {ticket_id}" in text  # the adapter did log
    for secret in (case.answer.customer_email, case.answer.comment, STANDIN_API_TOKEN):
        assert secret not in text
