"""``context.recovery_case_id`` marks an answer as a case's re-survey answer, which closes the case
before its window. A sender cannot use it to close anything but that customer's own open case,
nor slip another type of value through it."""
from sqlalchemy import select

from connector.store.db import transaction
from connector.store.models import Case
from tests.signing import answer_payload, post_answer


def status(runtime, case_id):
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Case.status).where(Case.id == case_id))


def test_naming_another_customers_case_closes_nothing(client, runtime):
    theirs = post_answer(client, answer_payload(customer={"email": "other@example.com"})).get_json()["case_id"]
    mine = post_answer(client, answer_payload(response_id="srv-mine", submitted_at="2026-11-21T10:00:00+00:00",
                                              customer={"email": "me@example.com"})).get_json()["case_id"]
    forged = answer_payload(response_id="srv-forged", score=10, submitted_at="2026-11-22T10:00:00+00:00",
                            customer={"email": "me@example.com"}, context={"recovery_case_id": theirs})
    assert post_answer(client, forged).status_code == 202
    assert status(runtime, theirs) == "open"
    assert status(runtime, mine) == "open"  # an early answer that is not its re-survey: interim


def test_a_marker_that_is_not_an_integer_is_refused_with_the_field_named(client, runtime):
    for value in ("1", 1.5, True, [1], {"id": 1}):
        response = post_answer(client, answer_payload(response_id=f"srv-{value!r}", context={"recovery_case_id": value}))
        assert response.status_code == 422
        assert "recovery_case_id" in response.get_json()["fields"]["context"]
