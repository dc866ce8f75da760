"""Issue 16, the company roll-up in few calls, through the use cases, the real SDK and the HubSpot
stand-in on a clock the test moves: contacts the upsert made are not read back for their company,
and a company's roll-up is written once per ``COMPANY_ROLLUP_SECONDS`` window with the values of
the moment it is written (0: after every group, as before)."""
from datetime import timedelta

import pytest

from connector.cases.company_rollup import queue_rollups
from connector.cases.company_writes import window_end
from connector.infra.clock import FrozenClock, system_clock
from connector.ports.batches import ContactId
from connector.store.db import reading
from connector.store.models import ContactCompany
from tests.conftest import drain, make_config, make_runtime
from tests.fakes import FakeZendesk
from tests.signing import answer_payload, just_now, post_answer

pytestmark = pytest.mark.e2e
UPDATE = "/crm/v3/objects/companies/batch/update"
ASSOCIATION_READ = "/crm/v4/associations/contacts/companies/batch/read"
FRESH = ["marie", "paul", "jean", "lea", "hugo"]


@pytest.fixture
def start(db_url, adapter):
    """A runtime on the stand-in, its clock at a window's first moment; groups of two jobs, so
    five answers make several groups of roll-up jobs."""
    built = []

    def build(window: float):
        clock = FrozenClock(window_end(system_clock(), 10.0))
        config = make_config(db_url, COMPANY_ROLLUP_SECONDS=window, BATCH_LIMIT=2, HUBSPOT_CALLS_PER_10S=0,
                             ZENDESK_CALLS_PER_MINUTE=0)
        rt = make_runtime(config, zendesk=FakeZendesk(), hubspot=adapter, clock=clock)
        built.append(rt)
        from connector.web.app import create_app
        return rt, create_app(rt.config, runtime=rt).test_client()

    yield build
    for rt in built:
        rt.engine.dispose()


def detractors(client, opened=None) -> None:
    for n, name in enumerate(FRESH):
        payload = answer_payload(response_id=f"w-{n}", submitted_at=(opened if n == 0 and opened else just_now()),
                                 customer={"email": f"{name}@acme.fr"})
        assert post_answer(client, payload, msg_id=f"w{n}").status_code == 202


def acme(state) -> dict:
    [company] = [c for c in state.companies.values() if c["properties"].get("domain") == "acme.fr"]
    return company["properties"]


def test_roll_ups_within_a_window_make_one_exact_company_update(start, state):
    rt, client = start(10.0)
    opened = (rt.clock() - timedelta(days=40)).replace(microsecond=0).isoformat()
    detractors(client, opened)
    drain(rt)  # the write waits for its window's end: drain moves the clock there
    assert state.calls.count("POST", ASSOCIATION_READ) == 0  # five contacts the upsert made
    assert state.calls.count("POST", UPDATE) == 1  # several groups of roll-up jobs, one write
    assert (acme(state)["recovery_open_incidents"], acme(state)["nps_account_score"]) == ("5", "-100")

    # Marie answers 9 forty days on: her case closes; the account shows it after one more window
    closing = answer_payload(response_id="w-close", score=9, comment="Merci.", submitted_at=just_now(),
                             customer={"email": "marie@acme.fr"})
    assert post_answer(client, closing, msg_id="w-close").status_code == 202
    drain(rt)
    assert state.calls.count("POST", UPDATE) == 2
    assert (acme(state)["recovery_open_incidents"], acme(state)["nps_account_score"]) == ("4", "-67")


def test_window_zero_writes_after_every_group_as_before(start, state):
    rt, client = start(0)
    detractors(client)
    drain(rt)
    assert state.calls.count("POST", UPDATE) > 1  # one per group of roll-up jobs that touched acme.fr
    assert acme(state)["recovery_open_incidents"] == "5"


def test_the_flag_follows_the_contact_id(runtime):
    """Kept from the upsert that made the row; a contact merged or recreated (another id) takes
    the flag of the upsert that answered the new id."""
    def flag() -> tuple:
        with reading(runtime.sessions) as session:
            row = session.get(ContactCompany, ("default", "ana@acme.fr"))
            return row.contact_id, row.created_by_upsert

    queue_rollups(runtime, [(1, "ana@acme.fr", ContactId("11", True), "answer")])
    assert flag() == ("11", True)
    queue_rollups(runtime, [(2, "ana@acme.fr", ContactId("11", False), "open")])  # the contact the first made
    assert flag() == ("11", True)
    queue_rollups(runtime, [(3, "ana@acme.fr", ContactId("12", False), "open")])  # merged into another
    assert flag() == ("12", False)
    queue_rollups(runtime, [(4, "ana@acme.fr", ContactId("13", True), "open")])  # deleted, made again
    assert flag() == ("13", True)
    queue_rollups(runtime, [(5, "ana@acme.fr", "14", "close")])  # an id from the store: not known
    assert flag() == ("14", None)
