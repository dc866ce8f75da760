"""A later answer from the same customer closes the open case with an outcome.

The outcome lands on the Zendesk ticket (tag + private note) and on the
HubSpot contact (``recovery_outcome``, incident flag cleared). When the new
answer opens a new case, that case's own sync writes the contact's current
state, so the old case does not overwrite it.
"""
import logging

from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, row
from connector.jobs.queue import ClaimedJob, finish
from connector.ports.errors import RetryableError
from connector.store.db import transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import answer_snapshot

log = logging.getLogger(__name__)


def zendesk_close_case(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id, result = case.zendesk_ticket_id, case.outcome
        closing = row(session, Answer, case.closing_answer_id)
        said = f"{closing.survey_type.upper()} {closing.score} on {closing.submitted_at:%Y-%m-%d}"
    if ticket_id is None:
        raise RetryableError("waiting for the initial sync (Zendesk ticket)")
    connected(rt.zendesk).update_ticket(ticket_id, tags_add=[f"recovery_outcome_{result}"],
                             note=f"Recovery outcome: {result}. The customer answered {said}.")
    finish(rt, job)


def hubspot_close_case(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        snapshot = case_snapshot_for(rt, session, case)
        closing = answer_snapshot(row(session, Answer, case.closing_answer_id))
    connected(rt.hubspot).upsert_contact(closing, snapshot, snapshot.zendesk_ticket_url)
    finish(rt, job)
