"""The account's rep is told first (issue 12, items 1-2), end to end against the stand-ins.

Two detractors of one company: Marie's contact already exists with a HubSpot owner (the rep)
and a first name a person typed; Paul's contact is new, with no owner. Both contacts get
their names where HubSpot had none; Marie's rep gets the heads-up task, Paul's goes to the
routing owner and his case says so; closing Marie's case brings the rep a note with the
outcome; their company counts 2 open incidents, then 1; running the jobs again creates nothing
twice. (The done-means scenario of issue 12 in one run.)
"""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connector.jobs.queue import enqueue
from connector.store.db import transaction
from connector.store.models import Job
from tests.e2e.conftest import wait_until
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e
MARIE, PAUL = "marie@example.com", "paul@example.com"
VERBATIM = "Service catastrophique, je cherche déjà un autre fournisseur."


def nps(response_id, email, name, score, submitted_at):
    return answer_payload(response_id=response_id, score=score, submitted_at=submitted_at.isoformat(),
                          customer={"email": email, "name": name, "company": "Acme"})


def test_the_rep_is_told_first_and_learns_the_outcome(connector_factory, vendors):
    hubspot = vendors.hubspot
    rep = hubspot.add_owner("sophie.rep@example.com", "Sophie", "Rep")
    seeded = hubspot.new_record({"email": MARIE, "firstname": "Marie-Claire", "hubspot_owner_id": rep})
    hubspot.contacts[seeded["id"]] = seeded
    connector = connector_factory(COMPANY_ROLLUP_SECONDS=0.5)  # the roll-up's write within the waits
    opened = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=40)

    ids = [connector.post(nps("srv-m", MARIE, "Dubois, Marie", 3, opened), msg_id="m").json()["case_id"],
           connector.post(nps("srv-p", PAUL, "Paul Martin", 2, opened), msg_id="p").json()["case_id"]]
    marie_case, paul_case = wait_until(lambda: (cs := [connector.case(i) for i in ids])
                                       and all(c["rep"] for c in cs) and cs, timeout=20)

    # 1. Names where HubSpot had none; the first name a person typed is kept (and so is the pair).
    marie, paul = hubspot.contact_by_email(MARIE)["properties"], hubspot.contact_by_email(PAUL)["properties"]
    assert (marie["firstname"], marie.get("lastname"), marie["company"]) == ("Marie-Claire", None, "Acme")
    assert (paul["firstname"], paul["lastname"], paul["company"]) == ("Paul", "Martin", "Acme")

    # 2. Marie's rep got the heads-up; Paul's contact has no owner: the routing owner got it.
    [heads_up] = vendors.heads_up_tasks_of(MARIE)
    props = heads_up["properties"]
    assert props["hubspot_owner_id"] == rep and props["hs_task_status"] == "NOT_STARTED"
    body = props["hs_task_body"]
    for expected in ("Marie Dubois (Acme)", "NPS 3", "&gt; " + VERBATIM.replace("'", "&#x27;"),
                     marie_case["owner"], "no sales push", "renewal pitch",
                     f"/agent/tickets/{marie_case['zendesk_ticket_id']}", f"recovery-{ids[0]}-rep"):
        assert expected in body, expected
    assert "has no HubSpot owner" not in body
    assert marie_case["rep"]["hubspot_owner_id"] == rep and marie_case["rep"]["fallback"] is False
    assert marie_case["rep"]["told_at"]
    [fallback] = vendors.heads_up_tasks_of(PAUL)
    routed = next(o["id"] for o in hubspot.owners.values() if o["email"] == paul_case["owner"])
    assert fallback["properties"]["hubspot_owner_id"] == routed
    assert "has no HubSpot owner" in fallback["properties"]["hs_task_body"]
    assert paul_case["rep"] == {"hubspot_owner_id": routed, "told_at": paul_case["rep"]["told_at"],
                                "fallback": True}
    assert len(vendors.tasks_of(MARIE)) == 8 == len(vendors.tasks_of(PAUL))  # the plan's own tasks, unchanged
    # Both owners came with the contact writes (Marie's read, Paul's create): no owner read of its own.
    assert not [c for c in hubspot.calls.all() if c.path == "/crm/v3/objects/contacts/batch/read"
                and c.body.get("properties") == ["hubspot_owner_id"]]

    # The account: both contacts land on one company (made for their e-mails' domain), which
    # counts two open incidents and the NPS of its two detractors.
    [company] = wait_until(lambda: list(hubspot.companies.values()) or None, timeout=20)
    account = company["properties"]
    wait_until(lambda: account.get("recovery_open_incidents") == "2", timeout=20)
    assert account["nps_account_score"] == "-100" and account["domain"] == "example.com"

    # 3. Marie answers 9 at day 35: her case closes and the rep gets a note with the outcome.
    connector.post(nps("srv-m2", MARIE, "Marie Dubois", 9, opened + timedelta(days=35)), msg_id="m2")
    wait_until(lambda: connector.case(ids[0])["status"] == "closed", timeout=20)
    closed = connector.case(ids[0])
    wait_until(lambda: account.get("recovery_open_incidents") == "1", timeout=20)  # Paul's is still open

    def rep_notes():
        return [n for n in hubspot.notes.values() if f"recovery-{ids[0]}-closed" in n["properties"]["hs_note_body"]]
    [note] = wait_until(lambda: rep_notes() or None, timeout=20)
    assert note["properties"]["hubspot_owner_id"] == rep
    assert f"outcome {closed['outcome']}" in note["properties"]["hs_note_body"]
    assert seeded["id"] in note["associations"]["contacts"]

    # 4. The jobs again (a replay, not a first attempt): nothing is created twice.
    tasks, notes = len(hubspot.tasks), len(hubspot.notes)
    with transaction(connector.runtime.sessions) as session:
        for case_id in ids:
            enqueue(session, "hubspot.rep_heads_up", case_id, dedupe_key=f"again-{case_id}")
        enqueue(session, "hubspot.rep_note", ids[0], dedupe_key="again-note")
    wait_until(lambda: _done(connector, [f"again-{i}" for i in ids] + ["again-note"]), timeout=20)
    assert (len(hubspot.tasks), len(hubspot.notes)) == (tasks, notes)
    assert connector.case(ids[1])["rep"] == paul_case["rep"]


def _done(connector, dedupe_keys) -> bool:
    with transaction(connector.runtime.sessions) as session:
        statuses = session.scalars(select(Job.status).where(Job.dedupe_key.in_(dedupe_keys))).all()
    return len(statuses) == len(dedupe_keys) and set(statuses) == {"done"}
