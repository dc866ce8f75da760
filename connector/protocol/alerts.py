"""The moment a case opens, the account's people know.

The sales rep sees a note on the HubSpot contact's timeline (score, the
customer's words, owner, Zendesk link); critical cases (severity or value)
also post to the team chat. Both are jobs, so an outage delays them only.
"""
from connector.errors import RetryableError
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.jobs.registry import handler
from connector.protocol import messages
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.snapshots import DbLedger
from connector.sync import case_snapshot_for


def alert_on_open(session, case: Case) -> None:
    """Enqueue the chat alert for a critical case (called by intake, same transaction)."""
    if case.severity == "critical" or case.value_tier == "critical":
        enqueue(session, "chat.new_case", case.id, tenant_id=case.tenant_id)



def _snapshot(rt, job):
    with transaction(rt.sessions) as session:
        return case_snapshot_for(rt, session, session.get(Case, job.ref_id))


@handler("hubspot.case_note", case_job=True, needs="hubspot")
def hubspot_case_note(rt, job: ClaimedJob) -> None:
    snapshot = _snapshot(rt, job)
    if snapshot.hubspot_contact_id is None:
        raise RetryableError("waiting for the initial sync (HubSpot contact)")
    rt.hubspot.add_case_note(snapshot, snapshot.hubspot_contact_id, messages.new_case(snapshot),
                             DbLedger(rt.sessions, f"case:{job.ref_id}"), first_attempt=job.fresh)
    finish(rt, job)


@handler("chat.new_case", case_job=True, needs="chat")
def chat_new_case(rt, job: ClaimedJob) -> None:
    ledger = DbLedger(rt.sessions, f"case:{job.ref_id}")
    if not ledger.get("chat.new_case"):
        rt.chat.post(messages.new_case(_snapshot(rt, job)))
        ledger.record("chat.new_case", "posted")
    finish(rt, job)
