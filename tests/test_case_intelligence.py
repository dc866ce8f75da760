"""Profile, routing, drafts and guidance as they land on a case (fake vendors)."""
from datetime import datetime, timezone

from connector.ports.errors import PermanentError
from connector.store.db import transaction
from connector.store.models import Case
from tests.conftest import drain, plan
from tests.test_worker import accept


def case_row(rt, case_id) -> Case:
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id)


def test_zendesk_ticket_history_makes_the_case_chronic(frozen_runtime, fake_zendesk, fake_hubspot):
    fake_zendesk.history["marie@example.com"] = 3
    case_id = accept(frozen_runtime, comment="Le service a été lent hier.")["case_id"]
    plan(frozen_runtime)
    assert case_row(frozen_runtime, case_id).profile == "disappointed"  # the plan knows no history yet
    drain(frozen_runtime)
    case = case_row(frozen_runtime, case_id)
    assert case.profile == "chronic"
    assert "3 Zendesk tickets in the last 90 days" in case.profile_signals
    assert case.sync_status == "synced"


def test_unavailable_history_never_blocks_the_ticket(frozen_runtime, fake_zendesk):
    fake_zendesk.fail_with(PermanentError("search forbidden for this token"))
    case_id = accept(frozen_runtime)["case_id"]
    drain(frozen_runtime)
    assert case_row(frozen_runtime, case_id).zendesk_ticket_id == 1


def test_earlier_detractor_answer_makes_a_new_case_chronic(frozen_runtime):
    accept(frozen_runtime, response_id="old", score=2, submitted_at="2026-06-01T10:00:00+00:00")
    case_id = accept(frozen_runtime, response_id="new", score=4, submitted_at="2026-11-20T10:00:00+00:00")["case_id"]
    plan(frozen_runtime)
    case = case_row(frozen_runtime, case_id)
    assert case.profile == "chronic"
    assert any("earlier detractor" in s for s in case.profile_signals)
    assert case.previous_case_id is not None


def test_routing_by_value_and_never_the_complained_agent(frozen_runtime):
    critical = accept(frozen_runtime, response_id="a")["case_id"]
    standard = accept(frozen_runtime, response_id="b", customer={"email": "s@example.com", "lifetime_value": 500})
    avoided = accept(frozen_runtime, response_id="c", customer={"email": "c@example.com"},
                     context={"agent_email": "Claire.Martin@example.com"})
    assert case_row(frozen_runtime, critical).owner == "claire.martin@example.com"
    assert case_row(frozen_runtime, standard["case_id"]).owner == "julien.petit@example.com"
    assert case_row(frozen_runtime, avoided["case_id"]).owner == "thomas.leroy@example.com"


def test_snapshot_carries_draft_guidance_and_playbook(frozen_runtime):
    from connector.cases.shared import case_snapshot_for
    case_id = accept(frozen_runtime, locale="en", customer={"name": "John Carter", "lifetime_value": 15000},
                     comment="We need SSO which you don't have; switching to an enterprise-grade tool.")["case_id"]
    plan(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:
        snapshot = case_snapshot_for(frozen_runtime, session, session.get(Case, case_id))
    assert snapshot.profile == "structural"
    assert snapshot.recognition_draft.startswith("Hello John") and "Sophie Bernard" in snapshot.recognition_draft
    asks = {s.key: s.ask for s in snapshot.stages}
    assert "graceful exit" in asks["action"]
    assert "pro-rata refund" in asks["compensation"]


def test_history_is_asked_only_when_it_can_change_the_profile(frozen_runtime, fake_zendesk, monkeypatch):
    asked = []
    monkeypatch.setattr(fake_zendesk, "recent_ticket_count", lambda email, days, now: asked.append(email) or 3)
    chronic = accept(frozen_runtime, response_id="a", comment="Encore une panne, toujours pareil.",
                     customer={"email": "a@example.com"})["case_id"]
    structural = accept(frozen_runtime, response_id="b", customer={"email": "b@example.com"},
                        comment="We need SSO which you don't have; switching to an enterprise-grade tool.")["case_id"]
    disappointed = accept(frozen_runtime, response_id="c", comment="Le service a été lent hier.",
                          customer={"email": "c@example.com"})["case_id"]
    drain(frozen_runtime)
    assert asked == ["c@example.com"]  # one search for three cases
    assert case_row(frozen_runtime, disappointed).profile == "chronic"
    assert case_row(frozen_runtime, chronic).profile == "chronic"
    assert case_row(frozen_runtime, structural).profile == "structural"


def test_a_rate_limited_history_search_is_not_repeated_for_the_rest_of_the_group(frozen_runtime, fake_zendesk):
    from connector.ports.errors import RetryableError
    fake_zendesk.history["d@example.com"] = 3
    fake_zendesk.fail_with(RetryableError("429", retry_after=30))
    ids = [accept(frozen_runtime, response_id=r, comment="Le service a été lent hier.",
                  customer={"email": f"{r}@example.com"})["case_id"] for r in ("c", "d")]
    plan(frozen_runtime)
    frozen_runtime.clock.now = datetime.now(timezone.utc)  # both syncs due at once: one group
    drain(frozen_runtime)
    assert [case_row(frozen_runtime, i).profile for i in ids] == ["disappointed", "disappointed"]
    assert all(case_row(frozen_runtime, i).sync_status == "synced" for i in ids)  # never blocks the tickets
