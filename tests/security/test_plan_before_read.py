"""The admin API feeds waiting answers and plans waiting cases before it reads (``web/planned.py``):
a request that fails its bearer check, forged, missing or of another scheme, must write nothing."""
import pytest
from sqlalchemy import func, select

from connector.store.db import transaction
from connector.store.models import Answer, Case, Delivery, Job, Stage
from tests.signing import answer_payload, post_answer


def waiting(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(Case).where(Case.planned_at.is_(None)))


def unfed(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(Answer).where(Answer.fed_at.is_(None)))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged-token-0123456789abcdef"},
                                     {"Authorization": "Basic YWRtaW46YWRtaW4="}])
def test_a_refused_admin_read_plans_nothing(client, runtime, headers):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    for path in (f"/api/cases/{case_id}", "/api/cases?email=marie@example.com", "/api/metrics",
                 "/api/systemic-issues", "/api/deliveries", f"/api/cases/{case_id}/stages/recognition/complete"):
        method = client.post if path.endswith("/complete") else client.get
        assert method(path, headers=headers).status_code == 401
    assert waiting(runtime) == 1 and unfed(runtime) == 1
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Stage)) == 0
        assert session.scalar(select(func.count()).select_from(Job)) == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_an_admitted_read_feeds_then_plans(client, runtime, admin_headers):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    assert client.get(f"/api/cases/{case_id}", headers=admin_headers).status_code == 200
    assert waiting(runtime) == 0 and unfed(runtime) == 0
