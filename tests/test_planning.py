"""A new case is planned by the worker (``cases.planning``): the webhook's transaction holds the
answer and the case the 202 names; feeding the answer queues its ``case.plan`` job; the plan
writes the profile, the cause, the priority with its churn risk, the stages and the case's first
jobs, once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connector.cases import feeding, planning
from connector.store.db import transaction
from connector.store.models import Answer, Case, Job, Stage
from tests.conftest import drain, plan
from tests.signing import answer_payload, post_answer

BILLING_CHURN = "You charged twice on my invoice, I am switching to another vendor."


def jobs_of(rt, case_id):
    with transaction(rt.sessions) as session:
        return sorted((kind, status) for kind, status in session.execute(
            select(Job.kind, Job.status).where(Job.ref_id == case_id, Job.kind != "hubspot.sync_answer")))


def accepted_case(client, **overrides):
    answered = post_answer(client, answer_payload(**overrides))
    assert answered.status_code == 202, answered.get_json()
    return answered.get_json()["case_id"]


def test_the_webhook_commits_the_case_and_the_worker_feeds_then_plans_the_rest(runtime, client):
    case_id = accepted_case(client, comment=BILLING_CHURN, locale="en", score=5,
                            customer={"lifetime_value": 15000})
    with transaction(runtime.sessions) as session:
        case = session.get(Case, case_id)
        assert (case.status, case.severity, case.value_tier, case.owner is not None) == ("open", "moderate", "high", True)
        assert not case.planned and case.profile is None and case.cause_suggested is None
        assert case.priority == "high" and not case.churn_risk  # priced without the churn risk yet
        assert session.scalar(select(func.count()).select_from(Stage).where(Stage.case_id == case_id)) == 0
    assert jobs_of(runtime, case_id) == []  # its plan is queued when the worker feeds the answer
    feeding.feed_answers(runtime)
    assert jobs_of(runtime, case_id) == [("case.plan", "queued")]

    assert plan(runtime) == 1
    with transaction(runtime.sessions) as session:
        case = session.get(Case, case_id)
        opening = session.get(Answer, case.opening_answer_id)
        assert case.planned and case.profile == "disappointed" and case.churn_risk
        assert any(signal.startswith("churn risk") for signal in case.profile_signals)
        assert case.priority == "urgent"  # one level up for the churn risk
        assert case.cause_suggested == "billing" and "invoice" in case.cause_words
        due = {stage.key: stage.due_at - opening.submitted_at for stage in case.stages}
    assert due["recognition"] == timedelta(hours=6) and due["resurvey_d60"] == timedelta(days=60)
    assert len(due) == 8
    assert jobs_of(runtime, case_id) == sorted([
        ("case.plan", "done"), ("systemic.check", "queued"), ("zendesk.sync_case", "queued"),
        ("hubspot.sync_case", "queued")])


def test_a_plan_run_twice_writes_its_stages_and_jobs_once(runtime, client):
    case_id = accepted_case(client)
    plan(runtime)
    with transaction(runtime.sessions) as session:  # a worker lost its lease after committing
        session.add(Job(kind=planning.KIND, ref_id=case_id, tenant_id="default", dedupe_key="case.plan:again"))
    assert plan(runtime) == 1
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Stage).where(Stage.case_id == case_id)) == 8
        assert session.scalar(select(func.count()).select_from(Job).where(
            Job.ref_id == case_id, Job.kind == "zendesk.sync_case")) == 1
        assert session.scalar(select(Job.status).where(Job.dedupe_key == "case.plan:again")) == "done"


def test_a_campaign_of_new_cases_is_planned_in_slices_by_the_worker_then_synced(runtime, client, fake_zendesk):
    ids = [accepted_case(client, response_id=f"r-{n}", customer={"email": f"c{n}@example.com"})
           for n in range(2 * planning.SETTLE_SLICE + 3)]
    drain(runtime)
    with transaction(runtime.sessions) as session:
        cases = session.scalars(select(Case).where(Case.id.in_(ids))).all()
        assert all(case.planned and len(case.stages) == 8 and case.zendesk_ticket_id for case in cases)
        assert session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == planning.KIND, Job.status != "done")) == 0
    assert len(fake_zendesk.tickets) == len(ids)


def test_a_held_out_case_is_planned_with_its_two_stages_only(runtime, client):
    runtime.config.update(HOLDOUT_SHARE=1.0, HOLDOUT_TIERS="standard")
    case_id = accepted_case(client, customer={"lifetime_value": 500})
    plan(runtime)
    with transaction(runtime.sessions) as session:
        case = session.get(Case, case_id)
        assert case.holdout and case.planned
        assert sorted(stage.key for stage in case.stages) == ["recognition", "resurvey_d60"]


def test_a_reader_plans_the_waiting_case_first_and_its_job_then_plans_nothing(runtime, client, admin_headers):
    case_id = accepted_case(client, comment=BILLING_CHURN, locale="en")
    assert client.get(f"/api/cases/{case_id}").status_code == 401  # a refused request plans nothing
    with transaction(runtime.sessions) as session:
        assert not session.get(Case, case_id).planned
    shown = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    assert shown["profile"] == "disappointed" and len(shown["stages"]) == 8
    assert plan(runtime) == 1  # the queued job finds it planned: completed, nothing written twice
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Stage).where(Stage.case_id == case_id)) == 8
    assert jobs_of(runtime, case_id) == sorted([
        ("case.plan", "done"), ("systemic.check", "queued"), ("zendesk.sync_case", "queued"),
        ("hubspot.sync_case", "queued"), ("chat.new_case", "queued")])


def test_a_failed_plan_before_a_read_never_fails_the_read_nor_logs_the_rows_values(client, admin_headers,
                                                                                  monkeypatch, caplog):
    import sqlite3

    case_id = accepted_case(client)

    def broken(rt, at_most=500):
        raise sqlite3.IntegrityError("UNIQUE constraint failed, values ('marie@example.com')")
    monkeypatch.setattr(planning, "plan_waiting", broken)
    shown = client.get(f"/api/cases/{case_id}", headers=admin_headers)
    assert shown.status_code == 200 and shown.get_json()["stages"] == []
    assert "IntegrityError" in caplog.text and "marie" not in caplog.text


def test_a_readers_probe_for_waiting_cases_takes_no_write_lock(runtime, client, admin_headers, caplog):
    import sqlite3
    import time

    if not runtime.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite's one write lock: PostgreSQL readers never wait on writers")
    case_id = accepted_case(client)
    plan(runtime)
    writer = sqlite3.connect(runtime.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a webhook or the worker holds the one write lock
    try:
        started = time.monotonic()
        shown = client.get(f"/api/cases/{case_id}", headers=admin_headers)
        waited = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert shown.status_code == 200 and len(shown.get_json()["stages"]) == 8
    assert waited < 2 and "not planned" not in caplog.text  # the busy timeout is 5 s
