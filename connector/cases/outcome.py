"""A later answer from the same customer closes the open case with an outcome, or is interim.

Only an answer of the case's own survey type from its closing window on, or the answer to its
re-survey, closes it (see ``domain.outcome.closes_case``); the others are noted on the ticket
and the case stays open.

The outcome lands on the Zendesk ticket (tag + private note) and on the
HubSpot contact (``recovery_outcome``, incident flag cleared). When the new
answer opens a new case, that case's own sync writes the contact's current
state, so the old case does not overwrite it.
"""
import logging

from sqlalchemy import select

from connector.cases.company_rollup import queue_rollups
from connector.cases.context import CaseContext
from connector.cases.shared import case_snapshot_for, connected, require_synced, row
from connector.domain.failure import asks_for_reason, reason_request
from connector.domain.text import quoted
from connector.jobs.queue import ClaimedJob, finish
from connector.ports.errors import RetryableError
from connector.ports.keys import ledger_scope, zendesk_interim_key
from connector.store.db import transaction
from connector.store.models import Answer, Case
from connector.store.snapshots import DbLedger, answer_snapshot

log = logging.getLogger(__name__)


def zendesk_close_case(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id, result = case.zendesk_ticket_id, case.outcome
        closing = row(session, Answer, case.closing_answer_id)
        said = f"{closing.survey_type.upper()} {closing.score} on {closing.submitted_at:%Y-%m-%d}"
    if ticket_id is None:
        raise RetryableError("waiting for the initial sync (Zendesk ticket)")
    note = f"Recovery outcome: {result}. The customer answered {said}."
    if asks_for_reason(result):
        note += "\n" + reason_request(job.ref_id, rt.policies.failure.reasons)
    connected(rt.zendesk).update_ticket(ticket_id, tags_add=[f"recovery_outcome_{result}"], note=note)
    finish(rt, job)


def zendesk_interim_notes(rt: CaseContext, job: ClaimedJob) -> None:
    """A private note on the ticket for each interim answer of the case not noted yet."""
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        ticket_id = require_synced(case.zendesk_ticket_id, "Zendesk ticket")
        interim = session.scalars(select(Answer).where(Answer.interim_case_id == case.id)
                                  .order_by(Answer.submitted_at)).all()
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    for answer in interim:
        if ledger.get(zendesk_interim_key(answer.id)):
            continue
        words = ["In their words:", *quoted(answer.comment, 500)] if answer.comment else []
        connected(rt.zendesk).update_ticket(ticket_id, note="\n".join([
            f"Interim answer: {answer.survey_type.upper()} {answer.score} ({answer.category}) on "
            f"{answer.submitted_at:%Y-%m-%d}.", *words, "The case stays open: recovery is measured by an answer "
            "of its own survey type from its closing window on, or by the re-survey."]))
        ledger.record(zendesk_interim_key(answer.id), str(ticket_id))
    finish(rt, job)


def hubspot_close_case(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        snapshot = case_snapshot_for(rt, session, case)
        closing = answer_snapshot(row(session, Answer, case.closing_answer_id))
    contact_id = connected(rt.hubspot).upsert_contact(closing, snapshot, snapshot.zendesk_ticket_url)
    queue_rollups(rt, [(closing.answer_id, closing.customer_email, contact_id, "close")])
    finish(rt, job)
