"""Priority support over the fakes, with clock travel: a grant recorded again with other days
replaces the tag (the old one removed), the same record twice is one grant, and a worker that
lost the race to the scan's job does nothing."""
from datetime import timedelta

from sqlalchemy import select

from connector.cases.priority_support import end_expired
from connector.cases.transitions import complete_stage
from connector.ports.keys import priority_support_tag
from connector.store.db import transaction
from connector.store.models import Case, Job, PrioritySupport
from tests.conftest import drain
from tests.test_worker import accept


def record(rt, case_id, days):
    compensation = {"type": "free_months", "amount": "99", "currency": "EUR", "priority_support_days": days}
    with transaction(rt.sessions) as session:
        complete_stage(session, session.get(Case, case_id), "compensation", rt.clock(), source="test",
                       details={"compensation": compensation})


def grant_of(rt, case_id) -> PrioritySupport:
    with transaction(rt.sessions) as session:
        return session.scalar(select(PrioritySupport).where(PrioritySupport.case_id == case_id))


def test_other_days_replace_the_tag_and_the_same_record_is_one_grant(frozen_runtime, fake_zendesk):
    rt = frozen_runtime
    case_id = accept(rt, submitted_at=rt.clock().isoformat())["case_id"]
    drain(rt)
    start = rt.clock()
    record(rt, case_id, 90)
    record(rt, case_id, 90)
    drain(rt)
    user_id = 500 + 1  # the fake's requester of ticket 1
    first = priority_support_tag((start + timedelta(days=90)).date())
    assert fake_zendesk.user_tags[user_id] == [first]

    record(rt, case_id, 120)  # corrected: the days count from the first record
    drain(rt)
    second = priority_support_tag((start + timedelta(days=120)).date())
    assert fake_zendesk.user_tags[user_id] == [second]
    held = grant_of(rt, case_id)
    assert (held.status, held.applied_tag, held.zendesk_user_id) == ("active", second, user_id)
    with transaction(rt.sessions) as session:
        kinds = session.scalars(select(Job.kind).where(Job.ref_id == case_id)).all()
    assert kinds.count("zendesk.priority_support") == 2

    rt.clock.now = start + timedelta(days=90, hours=1)  # past the first date, not the second
    assert end_expired(rt, rt.clock()) == 0
    rt.clock.now = start + timedelta(days=120, seconds=1)
    assert end_expired(rt, rt.clock()) == 1
    assert end_expired(rt, rt.clock()) == 0  # one winner per grant
    drain(rt)
    assert fake_zendesk.user_tags[user_id] == []
    assert grant_of(rt, case_id).status == "ended"
