"""The weekly digest by clock travel, with two workers scanning: exactly one per owner per week."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connector.cases import digest
from connector.jobs.worker import Worker
from connector.store.db import transaction
from connector.store.models import Case, DigestClaim, SignalAlert
from tests.conftest import drain
from tests.fakes import FakeChat
from tests.test_weak_signals import HIGH_VALUE, answer
from tests.threads import race


def next_monday_8(now: datetime) -> datetime:
    """The digest is due Mondays 08:00 UTC (default); the next one ahead of the real time (jobs
    are queued at the real time, and a drain travels the clock to them)."""
    monday = (now + timedelta(days=7 - now.weekday())).replace(hour=8, minute=0, second=0, microsecond=0)
    return monday


MONDAY_8 = next_monday_8(datetime.now(timezone.utc))
WEEK, NEXT_WEEK = (f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in (MONDAY_8, MONDAY_8 + timedelta(days=7)))


@pytest.fixture
def rt(frozen_runtime):
    frozen_runtime.chat = FakeChat()
    frozen_runtime.clock.now = MONDAY_8 - timedelta(hours=7)  # the accounts turn sensitive before 08:00
    return frozen_runtime


def owners_and_cases(rt):
    """A detractor's open case (its recovery owner) and a weak signal on another account (its owner)."""
    answer(rt, 1, 2, customer={"email": "marie@example.com", "name": "Marie Dubois", "company": "Acme",
                               "lifetime_value": 47000}, comment="Rien ne marche <@U123>")
    answer(rt, 1, 10)
    answer(rt, 2, 7)
    with transaction(rt.sessions) as session:
        case_owner = session.scalar(select(Case.owner))
        signal_owner = session.scalar(select(SignalAlert.owner))
    assert case_owner and signal_owner and case_owner != signal_owner
    return case_owner, signal_owner


def digests(fake_hubspot) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for key, task in fake_hubspot.owner_tasks.items():
        if key.startswith("recovery-digest-"):
            found.setdefault(task["owner"], []).append(task)
    return found


def digest_posts(rt) -> list[str]:
    return [p for p in rt.chat.posted if p.startswith(":bar_chart: Weekly digest")]


def tick_both(rt, workers) -> None:
    errors = race(lambda name: workers[name].tick(), count=len(workers))
    assert errors == []
    drain(rt)


def test_one_digest_per_owner_per_week_with_two_workers(rt, fake_hubspot):
    case_owner, signal_owner = owners_and_cases(rt)
    workers = {f"w{i}": Worker(rt, f"digest-{i}") for i in range(2)}
    rt.clock.now = MONDAY_8 - timedelta(seconds=1)
    tick_both(rt, workers)
    assert digests(fake_hubspot) == {} and digest_posts(rt) == []
    # From Monday 08:00 both workers scan, all week long (a worker down at 08:00 catches up later
    # in the week); each owner gets one digest.
    rt.clock.now = MONDAY_8
    for _ in range(4):
        tick_both(rt, workers)
        rt.clock.now += timedelta(hours=30)
    assert {owner: len(tasks) for owner, tasks in digests(fake_hubspot).items()} == {case_owner: 1, signal_owner: 1}
    assert len(digest_posts(rt)) == 2
    # The next week: the case is still open, one more for its owner; the signal is a week old,
    # its owner has nothing sensitive left and gets nothing.
    rt.clock.now = MONDAY_8 + timedelta(days=7)
    tick_both(rt, workers)
    tick_both(rt, workers)
    assert {owner: len(tasks) for owner, tasks in digests(fake_hubspot).items()} == {case_owner: 2, signal_owner: 1}
    with transaction(rt.sessions) as session:
        weeks = sorted(session.execute(select(DigestClaim.owner, DigestClaim.week)).all())
    assert weeks == sorted([(case_owner, WEEK), (case_owner, NEXT_WEEK), (signal_owner, WEEK)])


def test_a_racing_claim_is_won_once(rt, fake_hubspot):
    owners_and_cases(rt)
    rt.clock.now = MONDAY_8
    won: list[int] = []
    assert race(lambda name: won.append(digest.claim_due(rt, rt.clock())), count=2) == []
    assert sorted(won) in ([0, 2], [1, 1])  # the two owners, whichever worker claimed each
    drain(rt)
    assert sum(len(t) for t in digests(fake_hubspot).values()) == 2


def test_the_digest_lists_open_cases_overdue_stages_and_new_signals(rt, fake_hubspot):
    case_owner, signal_owner = owners_and_cases(rt)
    rt.clock.now = MONDAY_8 + timedelta(hours=1)  # the case's recognition (+6 h) is long overdue
    Worker(rt, "digest").tick()
    drain(rt)
    by_owner = {owner: tasks[0] for owner, tasks in digests(fake_hubspot).items()}
    case_digest, signal_digest = by_owner[case_owner], by_owner[signal_owner]
    assert case_digest["subject"] == f"Weekly digest {WEEK}: your sensitive accounts ({case_owner})"
    first, line = case_digest["body"].split("\n")
    assert first.endswith("1 open case(s), 1 overdue stage(s), 0 new weak signal(s)")
    assert line.startswith("- Case #1 Marie Dubois (Acme): score 2, priority urgent, next recognition due")
    assert line.endswith(", 1 overdue")
    assert "<@U123>" not in case_digest["body"]          # the comment stays out of the digest
    assert signal_digest["body"].split("\n")[1] == f"- Weak signal {MONDAY_8:%Y-%m-%d}: Paul Martin (Globex), score dropping"
    assert case_digest["contact_id"] is None
    assert sorted(digest_posts(rt)) == sorted([case_digest["body"], signal_digest["body"]])


def test_with_nothing_sensitive_no_one_gets_a_digest(rt, fake_hubspot):
    answer(rt, 1, 10, customer={**HIGH_VALUE, "email": "calm@example.com"})
    rt.clock.now = MONDAY_8
    assert digest.claim_due(rt, rt.clock()) == 0
    assert digests(fake_hubspot) == {}


def test_an_owner_with_hundreds_of_open_cases_gets_a_digest_hubspot_accepts():
    """A campaign leaves one owner 600 open cases: the digest lists the 50 most urgent, counts the
    rest, and stays far below HubSpot's 65,536 characters of task body (it died there before)."""
    from datetime import datetime, timedelta, timezone

    from connector.providers.chat.account_messages import DigestCase, DigestSignal, digest_text

    start = datetime(2026, 12, 7, 8, tzinfo=timezone.utc)
    cases = [DigestCase(i, f"Customer {i} with a rather long name", "Some Company International", 3, "high",
                        "Empathy call", start + timedelta(hours=i), 1 if i % 100 == 7 else 0) for i in range(600)]
    signals = [DigestSignal("tickets", f"Customer {i}", "Acme", start - timedelta(hours=i)) for i in range(80)]
    text = digest_text("claire@example.com", "2026-W50", cases, signals)
    assert len(text) < 20_000
    assert text.splitlines()[0].endswith("600 open case(s), 6 overdue stage(s), 80 new weak signal(s)")
    assert "550 more in the dashboard" in text and "30 more in the dashboard" in text
    listed = [line for line in text.splitlines() if line.startswith("- Case #")]
    assert len(listed) == 50 and listed[0].startswith("- Case #7 ") and listed[6].startswith("- Case #0 ")
