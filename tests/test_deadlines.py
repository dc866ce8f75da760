"""Clock travel: every stage deadline and every escalation effect, without sleeping."""
from datetime import timedelta

import pytest

from connector.cases.deadlines import mark_overdue
from connector.cases.transitions import complete_stage
from connector.domain.react import load_protocol
from connector.jobs.worker import Worker
from connector.store.db import transaction
from connector.store.models import Case
from tests.conftest import drain, plan
from tests.fakes import FakeChat
from tests.test_worker import accept

STAGES = tuple(load_protocol())  # the default mappings/protocol.json

SUBMITTED = "2026-11-20T15:37:00+00:00"


@pytest.fixture
def chat(frozen_runtime):
    frozen_runtime.chat = FakeChat()
    return frozen_runtime.chat


# The default answer's comment names another supplier (a churn risk, one priority level up).
NOT_LEAVING = "Service catastrophique, personne ne m'a rappelé."


def open_synced_case(rt, **overrides):
    case_id = accept(rt, submitted_at=SUBMITTED, **overrides)["case_id"]
    plan(rt)
    rt.clock.now = due(rt, case_id, 0) - timedelta(hours=1)
    drain(rt)
    return case_id


def late_alerts(chat) -> list[str]:
    return [p for p in chat.posted if "is late" in p]


def case_row(rt, case_id) -> Case:
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id)


def statuses(rt, case_id) -> dict[str, str]:
    with transaction(rt.sessions) as session:
        return {s.key: s.status for s in session.get(Case, case_id).stages}


def due(rt, case_id, index: int):
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id).stages[index].due_at


@pytest.mark.parametrize("stage", STAGES, ids=[s.key for s in STAGES])
def test_each_stage_goes_overdue_within_a_minute_and_escalates(frozen_runtime, fake_zendesk, fake_hubspot,
                                                                chat, stage):
    rt = frozen_runtime
    # moderate severity x standard value, no churn risk: priority "normal", so one escalation is visible.
    case_id = open_synced_case(rt, score=5, comment=NOT_LEAVING, customer={"lifetime_value": 500})
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        for earlier in case.stages:
            if earlier.key == stage.key:
                due_at = earlier.due_at
                break
            complete_stage(session, case, earlier.key, rt.clock(), source="admin")
    drain(rt)
    chat.posted.clear()
    worker = Worker(rt, "scheduler-test")
    rt.clock.now = due_at - timedelta(seconds=10)
    worker.tick()
    assert statuses(rt, case_id)[stage.key] == "pending"
    while statuses(rt, case_id)[stage.key] != "overdue":
        rt.clock.now += timedelta(seconds=5)
        worker.tick()
    assert rt.clock.now - due_at < timedelta(minutes=1)

    drain(rt)
    case = case_row(rt, case_id)
    assert (case.base_priority, case.priority, case.escalations) == ("normal", "high", 1)
    ticket_update = fake_zendesk.updates[-1][1]
    assert ticket_update["priority"] == "high"
    assert f"Overdue: {stage.label} was due" in ticket_update["note"]
    contact = fake_hubspot.contacts["marie@example.com"]
    assert (contact["recovery_stage"], contact["recovery_priority"]) == (stage.key, "high")
    assert contact["recovery_next_due_at"] == due_at
    [alert] = late_alerts(chat)
    assert f"is late: {stage.label} was due" in alert
    assert "Marie Dubois" in alert and "catastrophique" in alert and "Owner: julien.petit@example.com" in alert


def test_escalation_happens_once_however_many_schedulers(frozen_runtime, fake_zendesk, chat):
    rt = frozen_runtime
    case_id = open_synced_case(rt)
    rt.clock.now = due(rt, case_id, 0) + timedelta(seconds=1)
    assert [mark_overdue(rt, rt.clock()) for _ in range(3)] == [1, 0, 0]
    drain(rt)
    assert case_row(rt, case_id).escalations == 1 and len(late_alerts(chat)) == 1


def test_each_overdue_stage_raises_priority_once_capped_at_urgent(frozen_runtime, chat):
    rt = frozen_runtime
    case_id = open_synced_case(rt, score=5, comment=NOT_LEAVING, customer={"lifetime_value": 500})  # normal
    rt.clock.now = due(rt, case_id, 3) + timedelta(seconds=1)  # 4 stages late
    assert mark_overdue(rt, rt.clock()) == 4
    drain(rt)
    case = case_row(rt, case_id)
    assert (case.priority, case.escalations) == ("urgent", 4)
    assert len(late_alerts(chat)) == 4


def test_done_stages_and_closed_cases_never_escalate(frozen_runtime, chat):
    rt = frozen_runtime
    case_id = open_synced_case(rt)
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        complete_stage(session, case, "recognition", rt.clock(), source="admin")
    rt.clock.now = due(rt, case_id, 0) + timedelta(minutes=5)
    assert mark_overdue(rt, rt.clock()) == 0
    accept(rt, response_id="later", score=9, submitted_at="2026-11-21T09:00:00+00:00",
           context={"recovery_case_id": case_id})  # the re-survey's answer closes the case
    rt.clock.now += timedelta(days=90)
    assert mark_overdue(rt, rt.clock()) == 0
    drain(rt)
    assert late_alerts(chat) == []


def test_an_overdue_stage_can_still_be_completed(frozen_runtime, client, admin_headers):
    rt = frozen_runtime
    case_id = open_synced_case(rt)
    rt.clock.now = due(rt, case_id, 0) + timedelta(seconds=1)
    mark_overdue(rt, rt.clock())
    case = client.post(f"/api/cases/{case_id}/stages/recognition/complete", headers=admin_headers).get_json()
    assert case["stages"][0]["status"] == "done"


@pytest.fixture
def app(frozen_runtime):
    from connector.web.app import create_app
    return create_app(frozen_runtime.config, runtime=frozen_runtime)
