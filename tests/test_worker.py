"""The worker with fake vendors: every accepted answer ends synced, once."""
import pytest
from sqlalchemy import select

from connector.cases import intake
from connector.inbound.schemas import validate_answer
from connector.ports.errors import RetryableError
from connector.store.db import transaction
from connector.store.models import Case, Job
from tests.conftest import drain
from tests.fakes import outage, rejection
from tests.signing import answer_payload


@pytest.fixture
def app(frozen_runtime):
    from connector.web.app import create_app
    return create_app(frozen_runtime.config, runtime=frozen_runtime)


def accept(rt, **overrides):
    data = validate_answer(answer_payload(**overrides))
    return intake.accept(rt.sessions, rt.policies, data, source="generic", now=rt.clock()).body


def case_row(rt, case_id) -> Case:
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id)


def jobs(rt):
    with transaction(rt.sessions) as session:
        return {(j.kind, j.status) for j in session.scalars(select(Job))}


def test_detractor_syncs_both_vendors_and_links_ticket(frozen_runtime, fake_zendesk, fake_hubspot):
    case_id = accept(frozen_runtime)["case_id"]
    drain(frozen_runtime)
    case = case_row(frozen_runtime, case_id)
    assert case.sync_status == "synced"
    assert case.zendesk_ticket_id == 1 and case.hubspot_contact_id == "1"
    assert len(fake_zendesk.tickets) == 1 and len(fake_hubspot.tasks) == 8
    contact = fake_hubspot.contacts["marie@example.com"]
    assert contact["recovery_zendesk_ticket_url"].endswith("/agent/tickets/1")
    assert case.hubspot_ticket_url_synced


def test_promoter_updates_contact_only(frozen_runtime, fake_zendesk, fake_hubspot):
    accept(frozen_runtime, score=10)
    drain(frozen_runtime)
    assert fake_zendesk.tickets == {} and fake_hubspot.tasks == {}
    assert fake_hubspot.contacts["marie@example.com"]["nps_last_category"] == "promoter"
    assert "recovery_incident_open" not in fake_hubspot.contacts["marie@example.com"]


def test_outage_delays_but_loses_nothing(frozen_runtime, fake_zendesk, fake_hubspot):
    fake_zendesk.fail_with(*outage(3))
    fake_hubspot.fail_with(*outage(4))
    ids = [accept(frozen_runtime, response_id=f"r{i}", customer={"email": f"c{i}@example.com"})["case_id"]
           for i in range(3)]
    drain(frozen_runtime)
    assert all(case_row(frozen_runtime, i).sync_status == "synced" for i in ids)
    assert len(fake_zendesk.tickets) == 3 and len(fake_hubspot.tasks) == 24


def test_rate_limited_vendor_is_retried_after_the_wait(frozen_runtime, fake_hubspot):
    start = frozen_runtime.clock()
    fake_hubspot.fail_with(RetryableError("429", retry_after=30))
    case_id = accept(frozen_runtime)["case_id"]
    drain(frozen_runtime)
    assert case_row(frozen_runtime, case_id).sync_status == "synced"
    assert (frozen_runtime.clock() - start).total_seconds() >= 30


def test_permanent_error_goes_dead_then_replay_syncs(frozen_runtime, fake_hubspot, app, admin_headers):
    fake_hubspot.fail_with(rejection())
    case_id = accept(frozen_runtime)["case_id"]
    drain(frozen_runtime)
    assert case_row(frozen_runtime, case_id).sync_status == "failed"
    client = app.test_client()
    dead = client.get("/api/jobs?status=dead", headers=admin_headers).get_json()["jobs"]
    assert [j["kind"] for j in dead] == ["hubspot.sync_case"]
    assert "property does not exist" in dead[0]["last_error"]
    assert client.post(f"/api/jobs/{dead[0]['id']}/replay", headers=admin_headers).status_code == 200
    assert client.post(f"/api/jobs/{dead[0]['id']}/replay", headers=admin_headers).status_code == 409
    drain(frozen_runtime)
    assert case_row(frozen_runtime, case_id).sync_status == "synced"
    assert len(fake_hubspot.tasks) == 8


def test_crash_between_effect_and_bookkeeping_is_not_doubled(frozen_runtime, fake_zendesk, fake_hubspot,
                                                               monkeypatch):
    """A handler that dies after the vendor call is run again: the ledger and
    natural-key lookups keep it to one ticket and eight tasks."""
    case_id = accept(frozen_runtime)["case_id"]
    from connector.cases import shared
    crashed, syncs = set(), {"zendesk.sync_case", "hubspot.sync_case"}
    original = shared.complete

    def complete(session, job, now):
        if job.kind in syncs - crashed:  # the first completion of each vendor's handler dies
            crashed.add(job.kind)
            raise RuntimeError("worker died after the vendor call")
        return original(session, job, now)
    monkeypatch.setattr(shared, "complete", complete)
    drain(frozen_runtime)
    assert crashed == syncs
    assert case_row(frozen_runtime, case_id).sync_status == "synced"
    assert len(fake_zendesk.tickets) == 1 and len(fake_hubspot.tasks) == 8


def test_unconnected_vendor_is_skipped(frozen_runtime, fake_hubspot):
    frozen_runtime.zendesk = None
    case_id = accept(frozen_runtime)["case_id"]
    drain(frozen_runtime)
    case = case_row(frozen_runtime, case_id)
    assert case.sync_status == "synced" and case.zendesk_ticket_id is None
    assert len(fake_hubspot.tasks) == 8


def test_worker_threads_hand_the_gil_back_within_a_tenth_of_a_millisecond(runtime):
    import sys
    import threading

    from connector.jobs.worker import SWITCH_INTERVAL_SECONDS, start_threads

    before, stop = sys.getswitchinterval(), threading.Event()
    stop.set()  # the threads end at once: only the interpreter setting is looked at
    try:
        sys.setswitchinterval(0.005)  # Python's default (an earlier test's workers may have set it)
        for thread in start_threads(runtime, 2, stop):
            thread.join(5)
        # Read back in whole microseconds: 0.0001 s comes back as 9.999999999999999e-05.
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS, abs=1e-6)
        assert SWITCH_INTERVAL_SECONDS == 0.0001
    finally:
        sys.setswitchinterval(before)
