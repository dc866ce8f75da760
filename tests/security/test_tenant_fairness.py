"""Issue 14, finding 5: one tenant's campaign delayed another tenant's lone answer.

Jobs were claimed first come, first served: a tenant that sent 1,500 answers queued thousands of
jobs ahead of another tenant's single case, which waited 13-47 s to sync instead of 0.2 s. Claims
now take turns across tenants (the tenant served least recently goes first), so a lone job waits
for at most one batch of the flooding tenant per worker; and each tenant's survey intake is
capped (``RECOVERY_TENANT_INTAKE_PER_MINUTE`` with a burst): past it a 429 with ``Retry-After``,
nothing stored, and the other tenants are not slowed."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connector.installs import store
from connector.installs.crypto import TokenCipher, generate_key
from connector.jobs import queue
from connector.store.db import transaction
from connector.store.models import Answer
from tests.signing import OTHER_SECRET, answer_payload, signed_headers
from tests.test_queue import POLICY, T0

FLOOD = 60


def enqueue(runtime, tenant, kind, refs, run_at):
    with transaction(runtime.sessions) as session:
        for ref in refs:
            assert queue.enqueue(session, kind, ref, tenant_id=tenant, run_at=run_at)


def claims(runtime, rounds, size=1, grouped=None):
    """The tenant of each of ``rounds`` successive claims, as one worker would take them."""
    taken = []
    for _ in range(rounds):
        group = queue.claim_group(runtime.sessions, "w", T0, 60, POLICY.max_attempts, size, grouped)
        taken.append([(job.tenant_id, job.ref_id) for job in group])
    return taken


def test_a_lone_job_is_claimed_within_one_batch_of_a_flooding_tenant(runtime):
    enqueue(runtime, "flood", "zendesk.sync_case", range(FLOOD), T0 - timedelta(seconds=30))
    enqueue(runtime, "quiet", "zendesk.sync_case", [1000], T0)
    first, second = claims(runtime, 2)
    assert ("quiet", 1000) in first + second  # not after the 60 jobs queued before it


def test_grouped_claims_serve_the_lone_tenant_after_at_most_one_group(runtime):
    enqueue(runtime, "flood", "hubspot.sync_answer", range(FLOOD), T0 - timedelta(seconds=30))
    enqueue(runtime, "quiet", "hubspot.sync_answer", [1000], T0)
    rounds = claims(runtime, 2, size=10)
    assert rounds[0] == [("flood", ref) for ref in range(10)]
    assert rounds[1] == [("quiet", 1000)]
    assert all(tenant == "flood" for tenant, _ in claims(runtime, 1, size=10)[0])


def test_turns_go_round_every_tenant_with_work(runtime):
    enqueue(runtime, "a", "zendesk.sync_case", range(FLOOD), T0 - timedelta(seconds=60))
    enqueue(runtime, "b", "zendesk.sync_case", range(100, 100 + FLOOD), T0 - timedelta(seconds=30))
    enqueue(runtime, "c", "zendesk.sync_case", [1000], T0)
    tenants = [group[0][0] for group in claims(runtime, 6)]
    assert tenants == ["a", "b", "c", "a", "b", "a"]  # c is not starved by a and b taking turns
    # Within a tenant the order is still first come, first served.
    a_refs = [ref for group in claims(runtime, 4) for tenant, ref in group if tenant == "a"]
    assert a_refs == sorted(a_refs)


def test_a_tenant_whose_first_enqueue_rolled_back_still_joins_the_line(runtime):
    from connector.store.models import ClaimTurn

    with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
        queue.enqueue(session, "zendesk.sync_case", 1, tenant_id="late", run_at=T0)
        raise RuntimeError("intake failed after enqueueing")
    enqueue(runtime, "flood", "zendesk.sync_case", range(10, 20), T0 - timedelta(seconds=30))
    enqueue(runtime, "late", "zendesk.sync_case", [2], T0)
    with transaction(runtime.sessions) as session:
        assert set(session.scalars(select(ClaimTurn.tenant_id))) == {"flood", "late"}
        session.execute(ClaimTurn.__table__.delete().where(ClaimTurn.tenant_id == "flood"))
    # A tenant missing from the line (jobs from before the line existed) is still served.
    assert sorted(group[0][0] for group in claims(runtime, 2)) == ["flood", "late"]


# PostgreSQL only: SQLite serialises claims, so nothing is ever locked by another claim there.
@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_postgres_passes_over_a_tenant_whose_due_jobs_another_worker_is_claiming(runtime):
    assert runtime.engine.dialect.name == "postgresql"
    enqueue(runtime, "a", "zendesk.sync_case", range(3), T0 - timedelta(seconds=30))
    enqueue(runtime, "b", "zendesk.sync_case", [1000], T0)
    from connector.store.models import Job

    with transaction(runtime.sessions) as other_worker:  # holds a's rows, as a claim in progress would
        other_worker.scalars(select(Job).where(Job.tenant_id == "a").with_for_update()).all()
        assert claims(runtime, 1) == [[("b", 1000)]]  # not blocked, not empty-handed


# ---- the per-tenant intake limit -------------------------------------------------------------

def limited_client(runtime, **limits):
    from connector.web.app import create_app

    runtime.directory.cipher = TokenCipher(generate_key())
    with transaction(runtime.sessions) as session:
        for tenant in ("t_flood", "t_quiet"):
            store.set_tenant_secrets(session, runtime.directory.cipher, tenant, {"WEBHOOK_SECRET": OTHER_SECRET})
    config = {**runtime.config, "TENANT_INTAKE_PER_MINUTE": 1, "TENANT_INTAKE_BURST": 3, **limits}
    return create_app(config, runtime=runtime).test_client()


@pytest.fixture
def limited(runtime):
    return limited_client(runtime)


def post(client, tenant, response_id):
    body = json.dumps(answer_payload(response_id=response_id, customer={"email": f"{response_id}@example.com"}))
    prefix = "" if tenant == "default" else f"/t/{tenant}"
    secret = {} if tenant == "default" else {"secret": OTHER_SECRET}
    return client.post(f"{prefix}/webhooks/surveys/generic", data=body.encode(),
                       headers=signed_headers(body.encode(), msg_id=response_id, **secret))


def stored(runtime, tenant) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(func.count(Answer.id)).where(Answer.tenant_id == tenant))


def test_a_tenant_past_its_intake_limit_gets_429_and_nothing_is_stored(runtime, limited):
    for i in range(3):
        assert post(limited, "t_flood", f"flood-{i}").status_code == 202
    refused = post(limited, "t_flood", "flood-3")
    assert refused.status_code == 429
    assert refused.is_json and refused.get_json()["error"] == "tenant_intake_limit"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert stored(runtime, "t_flood") == 3  # the refused answer is not stored: the sender retries it

    # The other tenants keep their own budget.
    assert post(limited, "t_quiet", "quiet-1").status_code == 202
    assert post(limited, "default", "default-1").status_code == 202
    assert stored(runtime, "t_quiet") == 1


def test_a_refused_signature_spends_nothing_of_the_tenants_budget(runtime, limited):
    body = json.dumps(answer_payload(response_id="forged")).encode()
    forged = {**signed_headers(body, secret=OTHER_SECRET), "webhook-signature": "v1,Zm9yZ2Vk"}
    for _ in range(10):  # an outsider cannot use up a tenant's quota
        assert limited.post("/t/t_quiet/webhooks/surveys/generic", data=body, headers=forged).status_code == 401
    assert post(limited, "t_quiet", "quiet-real").status_code == 202


def test_the_bucket_refills_at_the_configured_rate(frozen_runtime):
    client = limited_client(frozen_runtime, TENANT_INTAKE_PER_MINUTE=6, TENANT_INTAKE_BURST=1)
    assert post(client, "t_flood", "r-1").status_code == 202
    refused = post(client, "t_flood", "r-2")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"  # 6 a minute
    frozen_runtime.clock.advance(timedelta(seconds=9))
    assert post(client, "t_flood", "r-2").status_code == 429
    frozen_runtime.clock.advance(timedelta(seconds=1))
    assert post(client, "t_flood", "r-2").status_code == 202  # the same answer, sent again, is taken


def test_zero_turns_the_limit_off(runtime):
    client = limited_client(runtime, TENANT_INTAKE_PER_MINUTE=0)
    assert all(post(client, "t_flood", f"free-{i}").status_code == 202 for i in range(6))
