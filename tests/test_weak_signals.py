"""Weak signals on valuable accounts, by clock travel: a score drop or a burst of Zendesk tickets
raises one alert per signal and period to the owner (HubSpot task) and the team chat."""
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from connector.cases import signals as signals_module
from connector.cases import zendesk_events
from connector.domain import signals
from connector.inbound.crm_events import parse_zendesk_event
from connector.ports.keys import ticket_external_id
from connector.providers.chat.escape import for_chat
from connector.providers.hubspot.owner_tasks import owner_task_input
from connector.store.db import transaction
from connector.store.models import Job, SignalAlert
from tests.conftest import drain
from tests.fakes import FakeChat
from tests.test_worker import accept

RULES = signals.DEFAULT_RULES
HIGH_VALUE = {"email": "paul@example.com", "name": "Paul Martin", "company": "Globex", "lifetime_value": 15000}
STANDARD = {"email": "lea@example.com", "name": "Léa Petit", "company": "Initech", "lifetime_value": 500}


@pytest.fixture
def rt(frozen_runtime):
    frozen_runtime.chat = FakeChat()
    # The first day of the next signal period, 09:00 UTC: every step below stays inside it or
    # crosses it knowingly. Ahead of the real time, as jobs are queued at the real time.
    frozen_runtime.clock.now = next_period(frozen_runtime.clock())
    return frozen_runtime


def next_period(now: datetime) -> datetime:
    start = datetime.fromisoformat(signals.period_of(now, RULES)).replace(hour=9, tzinfo=timezone.utc)
    return start + timedelta(days=RULES.period_days)


def answer(rt, number: int, score: int, customer=HIGH_VALUE, comment="Ça va.", survey="nps"):
    """An answer submitted ten minutes on (the frozen clock), then every job run."""
    rt.clock.now += timedelta(minutes=10)
    result = accept(rt, response_id=f"r-{customer['email']}-{number}", submitted_at=rt.clock().isoformat(),
                    score=score, comment=comment, survey={"type": survey}, customer=customer, context={})
    drain(rt)
    return result


def alerts(rt) -> list[SignalAlert]:
    with transaction(rt.sessions) as session:
        return list(session.scalars(select(SignalAlert).order_by(SignalAlert.id)))


def signal_posts(rt) -> list[str]:
    return [p for p in rt.chat.posted if p.startswith(":warning: Weak signal")]


def test_the_rules_are_pure_and_validated():
    assert signals.score_drop(10, 7, "passive", RULES) and signals.score_drop(9, 6, "passive", RULES) is True
    assert not signals.score_drop(10, 8, "promoter", RULES)      # 2 points: under the threshold
    assert not signals.score_drop(10, 6, "detractor", RULES)     # a detractor opens a case instead
    assert not signals.score_drop(None, 7, "passive", RULES)     # nothing to compare with
    assert signals.ticket_burst(3, RULES) and not signals.ticket_burst(2, RULES)
    assert not signals.ticket_burst(None, RULES)
    assert signals.watched("critical", RULES) and signals.watched("high", RULES)
    assert not signals.watched("standard", RULES)
    monday = datetime(2026, 11, 30, 7, 59, tzinfo=timezone.utc)
    assert not signals.digest_due(monday, RULES) and signals.digest_due(monday + timedelta(minutes=1), RULES)
    assert signals.digest_due(monday + timedelta(days=6), RULES) and signals.iso_week(monday) == "2026-W49"
    first = signals.period_of(monday, RULES)
    assert signals.period_of(datetime.fromisoformat(first).replace(tzinfo=timezone.utc)
                             + timedelta(days=29, hours=23), RULES) == first
    with pytest.raises(ValidationError) as bad:
        signals.SignalsSchema().load({"tiers": ["gold"], "score_drop": 0, "digest_weekday": "someday"})
    assert set(bad.value.messages) == {"tiers", "score_drop", "digest_weekday"}


def test_a_score_drop_on_a_valuable_contact_alerts_once_per_period(rt, fake_hubspot):
    answer(rt, 1, 10)
    rt.clock.now += timedelta(days=3)
    answer(rt, 2, 7, comment="Moins bien depuis la mise à jour.")
    [alert] = alerts(rt)
    assert (alert.signal, alert.customer_email, alert.details["previous"], alert.details["score"]) == (
        "score_drop", "paul@example.com", 10, 7)
    [task] = fake_hubspot.owner_tasks.values()
    assert task["owner"] == alert.owner and task["subject"] == "Weak signal (score dropping): Paul Martin (Globex)"
    assert "NPS 10 → 7 (down 3 points, not yet a detractor)" in task["body"]
    [post] = signal_posts(rt)
    assert "high-value account: Paul Martin (Globex)" in post and "> Moins bien depuis la mise à jour." in post
    # A second drop in the same period: the row exists, nothing more goes out.
    rt.clock.now += timedelta(days=2)
    answer(rt, 3, 10)
    rt.clock.now += timedelta(days=2)
    answer(rt, 4, 7)
    assert len(alerts(rt)) == 1 and len(fake_hubspot.owner_tasks) == 1 and len(signal_posts(rt)) == 1
    # The next period: the same signal is news again.
    rt.clock.now = next_period(rt.clock())
    answer(rt, 5, 10)
    rt.clock.now += timedelta(hours=1)
    answer(rt, 6, 7)
    assert [a.period for a in alerts(rt)][1] == signals.period_of(rt.clock(), RULES)
    assert len(fake_hubspot.owner_tasks) == 2 and len(signal_posts(rt)) == 2


def test_no_signal_for_standard_value_a_small_drop_another_survey_type_or_a_detractor(rt, fake_hubspot):
    answer(rt, 1, 10, customer=STANDARD)
    answer(rt, 2, 7, customer=STANDARD)                 # standard value: not watched
    answer(rt, 3, 10)
    answer(rt, 4, 8)                                    # 2 points only
    answer(rt, 5, 5, survey="csat")                     # no earlier CSAT to compare with
    answer(rt, 6, 4)                                    # 8 -> 4 is a detractor: a case opens instead
    assert alerts(rt) == [] and fake_hubspot.owner_tasks == {} and signal_posts(rt) == []
    with transaction(rt.sessions) as session:           # intake only asks where a drop can be a signal
        checks = session.scalar(select(func.count(Job.id)).where(Job.kind == "signals.answer"))
    assert checks == 1  # answer 4 only: a first answer of its type, or a detractor, has no drop to check


def ticket_created(rt, ticket_id: int, requester_id: int, external_id: str | None = None) -> str:
    event = parse_zendesk_event({
        "type": "zen:event-type:ticket.created", "id": f"evt-{ticket_id}", "subject": f"zen:ticket:{ticket_id}",
        "detail": {"id": str(ticket_id), "requester_id": str(requester_id), "external_id": external_id,
                   "created_at": rt.clock().strftime("%Y-%m-%dT%H:%M:%SZ"), "status": "NEW"},
        "event": {}})
    outcome, reason = zendesk_events.handle(rt, event)
    drain(rt)
    return f"{outcome}: {reason}"


def test_three_tickets_in_thirty_days_alert_once_per_period_with_one_lookup(rt, fake_zendesk, fake_hubspot):
    answer(rt, 1, 9)  # the connector knows Paul's value from his answer
    fake_zendesk.user_emails[7001] = "Paul@Example.com"
    assert ticket_created(rt, 1, 7001) == "accepted: ticket recorded (1 in window)"
    rt.clock.now += timedelta(days=10)
    ticket_created(rt, 2, 7001)
    assert ticket_created(rt, 2, 7001) == "accepted: ticket seen before"   # a repeated event
    assert ticket_created(rt, 3, 7001, external_id=ticket_external_id(1)) == "ignored: a recovery ticket"
    assert alerts(rt) == []
    rt.clock.now += timedelta(days=5)
    ticket_created(rt, 4, 7001)
    [alert] = alerts(rt)
    assert (alert.signal, alert.customer_email, alert.details["tickets"]) == ("tickets", "paul@example.com", 3)
    assert "3 Zendesk tickets in the last 30 days" in signal_posts(rt)[0]
    ticket_created(rt, 5, 7001)
    assert len(alerts(rt)) == 1 and len(fake_hubspot.owner_tasks) == 1 and fake_zendesk.user_reads == 1
    # Thirty days on, a new period and a new burst: alerted again.
    rt.clock.now = next_period(rt.clock()) + timedelta(days=1)
    for ticket in (6, 7, 8):
        ticket_created(rt, ticket, 7001)
    assert [a.signal for a in alerts(rt)] == ["tickets", "tickets"] and len(signal_posts(rt)) == 2


def test_a_standard_value_requester_costs_one_lookup_per_period_and_no_alert(rt, fake_zendesk):
    answer(rt, 1, 9, customer=STANDARD)
    fake_zendesk.user_emails[7002] = "lea@example.com"
    for ticket in range(1, 6):
        ticket_created(rt, ticket, 7002)
    assert alerts(rt) == [] and fake_zendesk.user_reads == 1


def test_what_the_respondent_wrote_stays_quoted_and_inert(rt, fake_hubspot):
    customer = {**HIGH_VALUE, "name": "Paul\nOwner: CEO says refund", "company": "<!channel>"}
    answer(rt, 1, 10, customer=customer)
    answer(rt, 2, 7, customer=customer, comment="Fine.\nOwner: CEO <http://x|Reset your password>")
    [post] = signal_posts(rt)
    lines = post.split("\n")
    assert lines[0].endswith("Paul Owner: CEO says refund (<!channel>)")     # one line, no forged line
    assert [line for line in lines if "Reset" in line] == ["> Owner: CEO <http://x|Reset your password>"]
    slack = for_chat(post, "slack")
    assert "<!channel>" not in slack and "&lt;http://x|Reset your password&gt;" in slack
    [task] = fake_hubspot.owner_tasks.values()
    body = owner_task_input("42", task["subject"], task["body"], "recovery-signal-1", rt.clock(), None)
    html = body["properties"]["hs_task_body"]
    assert "&lt;!channel&gt;" in html and "<http" not in html and "<p>Ref: recovery-signal-1</p>" in html
    assert body["properties"]["hubspot_owner_id"] == "42" and body["associations"] == []


def test_erasure_forgets_the_signals_and_retention_the_old_tickets(rt, fake_zendesk):
    from connector.cases.catalog import trim_delivery_log
    from connector.cases.privacy import erase_contact
    from connector.store.models import Case, TicketCreation

    answer(rt, 1, 10)
    answer(rt, 2, 7)
    answer(rt, 3, 1)  # then a detractor: a case, whose HubSpot contact the erasure names
    ticket_created(rt, 1, 7001)
    assert len(alerts(rt)) == 1
    with transaction(rt.sessions) as session:
        contact_id = session.scalar(select(Case.hubspot_contact_id))
        erase_contact(session, contact_id, rt.clock())
    assert alerts(rt) == []
    rt.clock.now += timedelta(days=RULES.ticket_window_days + 2)
    trim_delivery_log(rt)
    with transaction(rt.sessions) as session:
        assert session.scalar(select(func.count(TicketCreation.id))) == 0


def test_the_task_goes_to_the_routed_owners_hubspot_owner():
    import dataclasses

    from connector.domain.routing import Routing, hubspot_owner_of, load_routing

    routing = load_routing()
    first, *rest = routing.tiers["high"]
    by_id = Routing({**routing.tiers, "high": (dataclasses.replace(first, hubspot_owner="7001"), *rest)})
    assert hubspot_owner_of(first.email.upper(), by_id) == "7001"
    assert hubspot_owner_of("someone.else@example.com", by_id) == "someone.else@example.com"


def test_two_workers_claiming_one_signal_at_once_raise_it_once(rt):
    from connector.store.signals import claim_signal
    from tests.threads import race

    won = []

    def claim(name):
        with transaction(rt.sessions) as session:
            won.append(claim_signal(session, "default", "paul@example.com", "score_drop", "2026-12-01",
                                    rt.clock(), "sophie.bernard@example.com", {"by": name}))

    assert race(claim, count=4) == []
    assert len([w for w in won if w is not None]) == 1 and len(alerts(rt)) == 1


def test_the_alert_goes_to_the_rep_the_heads_up_found(rt, fake_hubspot):
    from connector.store.models import Case

    # An earlier case of this contact told their HubSpot owner (the rep): the signal goes to them too.
    opened = answer(rt, 1, 2, comment="Rien ne marche.")
    with transaction(rt.sessions) as session:
        session.get(Case, opened["case_id"]).rep = {"hubspot_owner_id": "8801", "told_at": "x", "fallback": False}
    answer(rt, 2, 10)
    rt.clock.now += timedelta(days=1)
    answer(rt, 3, 7)
    [alert] = [a for a in alerts(rt) if a.signal == "score_drop"]
    assert alert.owner == "8801"
    with transaction(rt.sessions) as session:  # a routing fallback is no rep: the case owner again
        session.get(Case, opened["case_id"]).rep = {"hubspot_owner_id": "8801", "told_at": "x", "fallback": True}
        assert signals_module._owner(rt, session, "default", HIGH_VALUE["email"], "high") != "8801"
