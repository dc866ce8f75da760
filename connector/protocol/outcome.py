"""A later answer from the same customer closes the open case with an outcome.

The outcome lands on the Zendesk ticket (tag + private note) and on the
HubSpot contact (``recovery_outcome``, incident flag cleared). When the new
answer opens a new case, that case's own sync writes the contact's current
state, so the old case does not overwrite it.
"""
import logging

from connector.domain.outcome import outcome
from connector.errors import RetryableError
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.jobs.registry import handler
from connector.store.db import transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import answer_snapshot
from connector.sync import case_snapshot_for

log = logging.getLogger(__name__)


def close_with_answer(session, case: Case, answer: Answer, now, *, reopened: bool) -> str:
    opening = session.get(Answer, case.opening_answer_id)
    result = outcome(opening.survey_type, opening.score, answer.survey_type, answer.score, answer.category)
    case.status, case.closed_at, case.outcome, case.closing_answer_id = "closed", now, result, answer.id
    enqueue(session, "zendesk.close_case", case.id, tenant_id=case.tenant_id)
    if not reopened:
        enqueue(session, "hubspot.close_case", case.id, tenant_id=case.tenant_id)
    log.info("case closed case_id=%s outcome=%s by answer_id=%s", case.id, result, answer.id)
    return result



@handler("zendesk.close_case", case_job=True, needs="zendesk")
def zendesk_close_case(rt, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id)
        ticket_id, result = case.zendesk_ticket_id, case.outcome
        closing = session.get(Answer, case.closing_answer_id)
        said = f"{closing.survey_type.upper()} {closing.score} on {closing.submitted_at:%Y-%m-%d}"
    if ticket_id is None:
        raise RetryableError("waiting for the initial sync (Zendesk ticket)")
    rt.zendesk.update_ticket(ticket_id, tags_add=[f"recovery_outcome_{result}"],
                             note=f"Recovery outcome: {result}. The customer answered {said}.")
    finish(rt, job)


@handler("hubspot.close_case", case_job=True, needs="hubspot")
def hubspot_close_case(rt, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = session.get(Case, job.ref_id)
        snapshot = case_snapshot_for(rt, session, case)
        closing = answer_snapshot(session.get(Answer, case.closing_answer_id))
    rt.hubspot.upsert_contact(closing, snapshot, snapshot.zendesk_ticket_url)
    finish(rt, job)
