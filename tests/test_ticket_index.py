"""The local ticket-history index (issue 16, item 1) with a fake Zendesk: the pull pages through
the export and keeps its place, the history comes from the index once backfilled (no search),
from the search before, and ticket events keep it fresh."""
from datetime import timedelta

from sqlalchemy import select

from connector.cases import ticket_index
from connector.ports.errors import RetryableError
from connector.ports.ticket_history import TicketPage, TicketRecord
from connector.store import ticket_index as index_store
from connector.store.db import transaction
from connector.store.models import Case, IndexedTicket, Job
from tests.conftest import drain
from tests.signing import post_zendesk_event
from tests.test_worker import accept

DISAPPOINTED = "Le service a été lent hier."


def tickets(rt, *rows):
    """(ticket id, requester id, days ago) -> records as the export gives them."""
    now = rt.clock()
    return tuple(TicketRecord(t, r, now - timedelta(days=d), now - timedelta(days=d), "open") for t, r, d in rows)


def backfill(rt, fake_zendesk, *pages):
    fake_zendesk.export_pages.extend(pages)
    assert ticket_index.schedule_pulls(rt, rt.clock()) == 1
    drain(rt)


def profile(rt, case_id) -> str:
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id).profile


def test_the_pull_pages_to_the_end_of_the_stream_and_keeps_the_cursor(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    backfill(rt, fake_zendesk,
             TicketPage(tickets(rt, (1, 50, 10), (2, 50, 20)), "c1", False, {50: "Marie@Example.com"}),
             TicketPage(tickets(rt, (3, 51, 200)), "c2", True, {51: "paul@example.com"}))
    assert [cursor for cursor, _ in fake_zendesk.exports] == [None, "c1"]
    start = fake_zendesk.exports[0][1]
    assert start == rt.clock() - timedelta(days=rt.policies.profile.ticket_window_days + 1)
    with transaction(rt.sessions) as session:
        state = index_store.state(session, "default")
        assert (state.cursor, state.backfilled_at) == ("c2", rt.clock())
        assert index_store.recent_count(session, "default", "marie@example.com", rt.clock() - timedelta(days=90)) == 2
        assert index_store.recent_count(session, "default", "paul@example.com", rt.clock() - timedelta(days=90)) == 0
    # A later pull continues from the saved cursor, never from a start time again.
    rt.clock.now += timedelta(seconds=float(rt.config["TICKET_INDEX_PULL_SECONDS"]) + 1)
    backfill(rt, fake_zendesk, TicketPage((), "c3", True))
    assert fake_zendesk.exports[-1] == ("c2", None)


def test_no_second_pull_while_one_is_queued_nor_while_the_index_is_fresh(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    assert ticket_index.schedule_pulls(rt, rt.clock()) == 1
    rt.clock.now += timedelta(hours=1)
    assert ticket_index.schedule_pulls(rt, rt.clock()) == 0  # the first is still queued
    fake_zendesk.export_pages.append(TicketPage((), "c1", True))
    drain(rt)
    assert ticket_index.schedule_pulls(rt, rt.clock()) == 0  # just pulled


def test_a_rate_limited_pull_keeps_the_pages_read_and_waits_without_spending_an_attempt(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    fake_zendesk.export_pages.append(TicketPage(tickets(rt, (1, 50, 3)), "c1", False, {50: "a@example.com"}))
    real = fake_zendesk.export_tickets

    def limited(cursor, start_time):
        if cursor == "c1" and not getattr(limited, "waited", False):
            limited.waited = True
            raise RetryableError("ticket export limit", retry_after=6.0)
        return real(cursor, start_time)

    fake_zendesk.export_tickets = limited
    fake_zendesk.export_pages.append(TicketPage(tickets(rt, (2, 50, 4)), "c2", True))
    ticket_index.schedule_pulls(rt, rt.clock())
    drain(rt)
    with transaction(rt.sessions) as session:
        assert session.scalars(select(IndexedTicket.ticket_id).order_by(IndexedTicket.ticket_id)).all() == [1, 2]
        job = session.scalars(select(Job).where(Job.kind == ticket_index.PULL_KIND)).one()
        assert (job.status, job.attempts) == ("done", 1)
    assert [cursor for cursor, _ in fake_zendesk.exports] == [None, "c1"]  # the first page was not read again


def test_once_backfilled_the_history_comes_from_the_index_without_a_search(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    fake_zendesk.history["c@example.com"] = 0  # the search would say otherwise: it is not asked
    backfill(rt, fake_zendesk, TicketPage(tickets(rt, (1, 7, 5), (2, 7, 40), (3, 7, 89), (4, 8, 91)), "c1", True,
                                          {7: "c@example.com", 8: "d@example.com"}))
    chronic = accept(rt, response_id="c", comment=DISAPPOINTED, customer={"email": "c@example.com"})["case_id"]
    disappointed = accept(rt, response_id="d", comment=DISAPPOINTED, customer={"email": "d@example.com"})["case_id"]
    drain(rt)
    assert fake_zendesk.searches == 0
    assert (profile(rt, chronic), profile(rt, disappointed)) == ("chronic", "disappointed")  # 91 days: out


def test_deleted_tickets_do_not_count(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    rows = tickets(rt, (1, 7, 5), (2, 7, 6), (3, 7, 7))
    deleted = TicketRecord(3, 7, rows[2].created_at, rt.clock(), "deleted")
    backfill(rt, fake_zendesk, TicketPage(rows, "c1", False, {7: "c@example.com"}),
             TicketPage((deleted,), "c2", True))
    case_id = accept(rt, response_id="c", comment=DISAPPOINTED, customer={"email": "c@example.com"})["case_id"]
    drain(rt)
    assert profile(rt, case_id) == "disappointed"


def test_until_backfilled_the_search_is_the_fallback(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    fake_zendesk.history["c@example.com"] = 3
    case_id = accept(rt, response_id="c", comment=DISAPPOINTED, customer={"email": "c@example.com"})["case_id"]
    drain(rt)
    assert fake_zendesk.searches == 1 and profile(rt, case_id) == "chronic"


def created_event(ticket_id: int, requester_id: int, at) -> dict:
    return {"type": "zen:event-type:ticket.created", "account_id": 1, "id": f"evt-{ticket_id}",
            "detail": {"id": str(ticket_id), "requester_id": str(requester_id),
                       "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}}


def test_tickets_arriving_by_event_count_at_once(frozen_runtime, fake_zendesk, client):
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage(tickets(rt, (1, 7, 30)), "c1", True, {7: "c@example.com"}))
    for ticket_id in (2, 3):
        assert post_zendesk_event(client, created_event(ticket_id, 7, rt.clock())).status_code == 200
    case_id = accept(rt, response_id="c", comment=DISAPPOINTED, customer={"email": "c@example.com"})["case_id"]
    drain(rt)
    assert profile(rt, case_id) == "chronic" and fake_zendesk.searches == 0


def test_a_new_requester_by_event_is_read_once(frozen_runtime, fake_zendesk, client):
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage((), "c1", True))
    fake_zendesk.user_emails[99] = "new@example.com"
    for ticket_id in (11, 12):
        assert post_zendesk_event(client, created_event(ticket_id, 99, rt.clock())).status_code == 200
    drain(rt)
    assert fake_zendesk.user_reads == 1
    # The third: its requester known now, no second look-up (the weak signal reads the user on its own).
    assert post_zendesk_event(client, created_event(13, 99, rt.clock())).status_code == 200
    with transaction(rt.sessions) as session:
        assert len(session.scalars(select(Job).where(Job.kind == ticket_index.REQUESTER_KIND)).all()) == 1
    case_id = accept(rt, response_id="n", comment=DISAPPOINTED, customer={"email": "new@example.com"})["case_id"]
    drain(rt)
    assert profile(rt, case_id) == "chronic" and fake_zendesk.searches == 0


def test_a_solved_event_updates_the_indexed_ticket(frozen_runtime, fake_zendesk, client):
    from tests.signing import zendesk_event
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage(tickets(rt, (5, 7, 3)), "c1", True, {7: "c@example.com"}))
    event = zendesk_event("status_changed", 5, None, current="SOLVED", previous="OPEN")
    assert post_zendesk_event(client, event).status_code == 200
    with transaction(rt.sessions) as session:
        assert session.get(IndexedTicket, ("default", 5)).status == "solved"


def test_the_history_reads_a_requester_whose_look_up_has_not_run_yet(frozen_runtime, fake_zendesk, client):
    from sqlalchemy import update
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage((), "c1", True))
    fake_zendesk.user_emails[77] = "quick@example.com"
    for ticket_id in (21, 22, 23):
        assert post_zendesk_event(client, created_event(ticket_id, 77, rt.clock())).status_code == 200
    with transaction(rt.sessions) as session:  # the look-up job has not had its turn
        session.execute(update(Job).where(Job.kind.in_([ticket_index.REQUESTER_KIND, "signals.tickets"]))
                        .values(status="cancelled"))
    case_id = accept(rt, response_id="q", comment=DISAPPOINTED, customer={"email": "quick@example.com"})["case_id"]
    drain(rt)
    assert profile(rt, case_id) == "chronic" and fake_zendesk.user_reads == 1


def test_a_deleted_requester_is_asked_once(frozen_runtime, fake_zendesk, client):
    from connector.ports.errors import PermanentError
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage((), "c1", True))
    assert post_zendesk_event(client, created_event(31, 66, rt.clock())).status_code == 200
    fake_zendesk.fail_with(PermanentError("Zendesk user read failed: HTTP 404 RecordNotFound", status=404))
    drain(rt)
    assert ticket_index.resolve_requesters(rt) == 0  # known as no one now: never asked again


def test_a_refused_cursor_pulls_the_window_again_once(frozen_runtime, fake_zendesk):
    from connector.providers.zendesk.client import ZendeskPermanentError
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage(tickets(rt, (1, 50, 3)), "c1", True, {50: "a@example.com"}))
    rt.clock.now += timedelta(hours=1)
    fake_zendesk.fail_with(ZendeskPermanentError("Zendesk ticket export failed: HTTP 400 InvalidPaginationParameter",
                                                 status=400, code="InvalidPaginationParameter"))
    backfill(rt, fake_zendesk, TicketPage(tickets(rt, (1, 50, 3)), "c9", True, {50: "a@example.com"}))
    assert [c for c, _ in fake_zendesk.exports] == [None, None]  # the refused call raised before recording
    with transaction(rt.sessions) as session:
        assert index_store.state(session, "default").cursor == "c9"
        assert index_store.is_backfilled(session, "default")


def test_a_zendesk_install_queues_its_backfill_and_an_uninstall_drops_its_index(db_url):
    from connector.installs import store
    from tests.installs.support import START, grant, oauth_runtime
    rt = oauth_runtime(db_url)
    with transaction(rt.sessions) as session:
        store.save_grant(session, rt.directory.cipher, "t_acme", "zendesk", grant("acme", "A", "R"), START)
        store.save_grant(session, rt.directory.cipher, "t_acme", "hubspot", grant("101", "A", "R"), START)
        [job] = session.scalars(select(Job)).all()  # the Zendesk install's, not HubSpot's
        assert (job.kind, job.tenant_id) == (ticket_index.PULL_KIND, "t_acme")
        index_store.save_page(session, "t_acme", TicketPage(tickets(rt, (1, 5, 2)), "c1", True, {5: "a@x.io"}), START)
        index_store.save_page(session, "t_other", TicketPage(tickets(rt, (1, 5, 2)), "c1", True, {5: "a@x.io"}), START)
    with transaction(rt.sessions) as session:
        store.purge(session, "t_acme", "zendesk", START, "uninstalled")
    with transaction(rt.sessions) as session:
        assert not index_store.is_backfilled(session, "t_acme") and index_store.is_backfilled(session, "t_other")
        assert session.scalars(select(IndexedTicket.tenant_id)).all() == ["t_other"]


def test_privacy_erasure_removes_the_requesters_email_from_the_index(frozen_runtime, fake_zendesk):
    from connector.cases.privacy import erase_contact
    from connector.store.models import IndexedRequester
    rt = frozen_runtime
    backfill(rt, fake_zendesk, TicketPage(tickets(rt, (1, 7, 5)), "c1", True, {7: "C@example.com", 8: "d@example.com"}))
    case_id = accept(rt, response_id="c", comment=DISAPPOINTED, customer={"email": "c@example.com"})["case_id"]
    drain(rt)
    with transaction(rt.sessions) as session:
        contact_id = session.get(Case, case_id).hubspot_contact_id
        erase_contact(session, contact_id, rt.clock())
    with transaction(rt.sessions) as session:
        emails = dict(session.execute(select(IndexedRequester.user_id, IndexedRequester.email)).all())
    assert emails == {7: None, 8: "d@example.com"}


def test_the_export_is_paced_at_its_own_limit_and_zero_turns_the_pacing_off(db_url):
    import pytest

    from connector.providers.zendesk import ZendeskAdapter
    from connector.providers.zendesk.mapping import load_zendesk_mapping
    from tests.conftest import make_config, make_runtime
    zendesk = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@acme.example", "ZENDESK_API_TOKEN": "t"}
    adapter = ZendeskAdapter.from_config(zendesk, load_zendesk_mapping())
    rt = make_runtime(make_config(db_url, **zendesk), zendesk=adapter)
    adapter._export_throttle()  # the first page at once
    with pytest.raises(RetryableError) as caught:
        adapter._export_throttle()
    assert caught.value.retry_after == pytest.approx(60 / 9, rel=0.05)  # 90% of 10 a minute: one each 6.7 s
    rt.engine.dispose()
    unpaced = ZendeskAdapter.from_config(zendesk, load_zendesk_mapping())
    rt = make_runtime(make_config(db_url, ZENDESK_EXPORT_CALLS_PER_MINUTE=0, **zendesk), zendesk=unpaced)
    assert unpaced._export_throttle is None
    rt.engine.dispose()
