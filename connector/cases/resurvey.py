"""The day-60 re-survey goes out by itself where a survey tool can send it.

A scan (every worker, like the deadline scan) enqueues one ``survey.resurvey`` job per open
case whose re-survey stage comes due within ``RESURVEY_LEAD_HOURS`` (default 24: time for
retries through an outage before the stage is late). The job's dedupe key is the case's, so
a case is asked for at most once, whichever worker sees it. The job asks the tool
``domain.resurvey.channel`` picks to send it at the stage's due time (Delighted's ``delay``,
the webhook's ``send_at``), records the request in the ledger, then completes the stage
with ``details.resurvey`` (channel, reference, when): the API, the sidebar and both systems
show it done. With no tool configured the stage stays the owner's task, and its details
say so (``channel: manual``).
"""
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, literal, select

from connector.cases.context import CaseContext
from connector.cases.shared import row
from connector.cases.transitions import complete_stage
from connector.domain import resurvey
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.ports.keys import SURVEY_RESURVEY, ledger_scope
from connector.ports.snapshots import ResurveyRequest
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, Job, Stage
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
KIND = "survey.resurvey"
MANUAL_REASON = "no survey tool is configured to send it (Delighted API key or re-survey webhook): the owner sends it"


def lead(rt: CaseContext) -> timedelta:
    return timedelta(hours=float(rt.config.get("RESURVEY_LEAD_HOURS", 24)))


def enqueue_due(rt: CaseContext, now: datetime, limit: int = 500) -> int:
    """Enqueue the re-survey of every open case whose stage comes due within the lead; answer how many."""
    dedupe = literal(f"{KIND}:") + cast(Case.id, String)
    with transaction(rt.sessions) as session:
        due = session.execute(select(Case.id, Case.tenant_id).join(Stage, Stage.case_id == Case.id).where(
            Case.status == "open", Stage.key == resurvey.STAGE, Stage.status != "done",
            Stage.due_at <= now + lead(rt), ~exists().where(Job.dedupe_key == dedupe)).limit(limit)).all()
        added = sum(enqueue(session, KIND, case_id, tenant_id=tenant_id) for case_id, tenant_id in due)
    if added:
        rt.notify()
    return added


def _request(rt: CaseContext, case_id: int) -> tuple[ResurveyRequest, str] | None:
    """The request and the opening answer's source; None when the case no longer needs one."""
    with reading(rt.sessions) as session:
        case = row(session, Case, case_id)
        stage = next((s for s in case.stages if s.key == resurvey.STAGE), None)
        if case.status != "open" or stage is None or stage.status == "done":
            return None
        opening = row(session, Answer, case.opening_answer_id)
        now = rt.clock()
        return ResurveyRequest(
            case_id=case.id, customer_email=opening.customer_email, customer_name=opening.customer_name,
            locale=opening.locale, survey_type=opening.survey_type, question=resurvey.question(opening.locale),
            requested_at=now, send_at=max(stage.due_at, now)), opening.source


def _record(rt: CaseContext, case_id: int, details: dict[str, Any], *, done: bool) -> None:
    with transaction(rt.sessions) as session:
        case = row(session, Case, case_id)
        if done:
            complete_stage(session, case, resurvey.STAGE, rt.clock(), source=details["channel"],
                           details={"resurvey": details})
            return
        stage = next(s for s in case.stages if s.key == resurvey.STAGE)
        stage.details = {**(stage.details or {}), "resurvey": details}


def request_resurvey(rt: CaseContext, job: ClaimedJob) -> None:
    found = _request(rt, job.ref_id)
    if found is None:
        finish(rt, job)
        return
    request, source = found
    senders = rt.resurvey_senders()
    channel = resurvey.channel(source, senders)
    stamp = {"channel": channel, "requested_at": request.requested_at.isoformat()}
    if channel == resurvey.MANUAL:
        _record(rt, job.ref_id, {**stamp, "reason": MANUAL_REASON}, done=False)
        log.info("re-survey left to the owner case_id=%s", job.ref_id)
        finish(rt, job)
        return
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    sent = ledger.get(SURVEY_RESURVEY)
    if sent is None:
        sent = f"{channel}:{senders[channel].request_resurvey(request, job.fresh)}"
        ledger.record(SURVEY_RESURVEY, sent)
    channel, _, reference = sent.partition(":")
    _record(rt, job.ref_id, {**stamp, "channel": channel, "reference": reference,
                             "send_at": request.send_at.isoformat()}, done=True)
    finish(rt, job)
