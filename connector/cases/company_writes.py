"""The account roll-up written to each HubSpot company at most once per window (issue 16).

A campaign's answers from one company arrive in many groups of roll-up jobs; writing the
company after each group cost one batch update per group for the same company. Instead each
group queues one ``hubspot.company_write`` job per company it touched, one per company and
window (``COMPANY_ROLLUP_SECONDS``, default 10), due at the window's end: the roll-up is then
computed from the store (exact, never incremented) and written in one batch per 100 companies.
A case opening or closing still reaches the company within one window. 0: written at once, by
the group that touched it.

HubSpot object ids may pass 2^31 (the jobs' ``ref_id`` is a 32-bit integer on PostgreSQL), so
the company is named in the job's dedupe key and its ``ref_id`` is 0.
"""
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import batch_limit, complete_served, connected, skip_unconnected
from connector.domain.account import NPS_WINDOW, AccountAnswer, CompanyRollup, company_rollup
from connector.jobs.queue import ClaimedJob, due_now_when_idle, enqueue_for_window, window_end
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, ContactCompany, Job

log = logging.getLogger(__name__)
KIND = "hubspot.company_write"
DEFAULT_WINDOW_SECONDS = 10.0
# What queues more roll-up work: while any is queued the writes wait for their window's end.
ROLLUP_KINDS = ("hubspot.company_rollup",)


def rollup_window(rt: CaseContext) -> float:
    """Seconds a company's roll-up waits for more changes (``COMPANY_ROLLUP_SECONDS``; 0: none)."""
    value = rt.config.get("COMPANY_ROLLUP_SECONDS")
    return max(0.0, float(DEFAULT_WINDOW_SECONDS if value is None else value))


def write_rollups(rt: CaseContext, companies: list[str]) -> dict[str, None | Exception]:
    """The roll-ups of these companies written now (window 0), else queued for their window's
    end; the outcome per company (a queued write counts as served)."""
    if not companies:
        return {}
    window = rollup_window(rt)
    if window <= 0:
        return connected(rt.hubspot).update_company_rollups(company_rollups(rt, companies), batch_limit(rt))
    with transaction(rt.sessions) as session:
        now = rt.clock()  # read after the group's look-ups were committed: see _write_pending
        for company in companies:
            end = window_end(now, window)
            while not _write_pending(session, rt.tenant_id, company, end):
                end += timedelta(seconds=window)
        due_now_when_idle(session, KIND, rt.tenant_id, now, ROLLUP_KINDS)
    return {company: None for company in companies}


def write_key(tenant_id: str, company: str, end: datetime) -> str:
    return f"{KIND}:{company}:{round(end.timestamp() * 1000)}:{tenant_id}"


def _company_in(key: str) -> str:
    return key.split(":", 3)[1]


def _write_pending(session: Session, tenant_id: str, company: str, end: datetime) -> bool:
    """True when a write of ``company`` that has not read the store yet is queued for ``end``.

    The key may be taken by a write that already ran or is running: it may have read the store
    before this group's changes, so the caller tries the next window instead.
    """
    return enqueue_for_window(session, KIND, 0, tenant_id=tenant_id, dedupe_key=write_key(tenant_id, company, end),
                              run_at=end)


def hubspot_company_writes(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """The roll-ups of the companies these jobs name, computed now, in one batch per 100."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        keys = dict(session.execute(select(Job.id, Job.dedupe_key).where(Job.id.in_([j.id for j in jobs]))).all())
    company_of = {job.id: _company_in(keys[job.id]) for job in jobs}
    companies = sorted(set(company_of.values()))
    outcomes = connected(rt.hubspot).update_company_rollups(company_rollups(rt, companies), batch_limit(rt))
    log.info("hubspot company roll-up written: %d companies for %d jobs", len(companies), len(jobs))
    return complete_served(rt, jobs, {job.id: outcomes[company_of[job.id]] for job in jobs})


def company_rollups(rt: CaseContext, companies: Iterable[str]) -> dict[str, CompanyRollup]:
    """Each company's roll-up from the store as it is now: its e-mails' open cases and answers."""
    companies, now = list(companies), rt.clock()
    with reading(rt.sessions) as session:
        members = session.execute(select(ContactCompany.customer_email, ContactCompany.company_id).where(
            ContactCompany.tenant_id == rt.tenant_id, ContactCompany.company_id.in_(companies))).all()
        emails = [email for email, _ in members]
        open_cases = session.execute(select(Case.customer_email, Case.priority).where(
            Case.tenant_id == rt.tenant_id, Case.status == "open", Case.customer_email.in_(emails))).all()
        since = now - NPS_WINDOW - timedelta(days=1)
        answers = session.execute(select(Answer.customer_email, Answer.survey_type, Answer.category,
                                         Answer.submitted_at).where(
            Answer.tenant_id == rt.tenant_id, Answer.customer_email.in_(emails), Answer.submitted_at >= since)).all()
        detractors = dict(session.execute(select(Answer.customer_email, func.max(Answer.submitted_at)).where(
            Answer.tenant_id == rt.tenant_id, Answer.customer_email.in_(emails), Answer.category == "detractor")
            .group_by(Answer.customer_email)).all())
    company_of: dict[str, str] = {email: company for email, company in members if company}
    priorities: dict[str, list[str]] = {c: [] for c in companies}
    recent: dict[str, list[AccountAnswer]] = {c: [] for c in companies}
    for email, priority in open_cases:
        priorities[company_of[email]].append(priority)
    for email, survey_type, category, at in answers:
        recent[company_of[email]].append(AccountAnswer(survey_type, category, at))
    out = {}
    for company in companies:
        rollup = company_rollup(priorities[company], recent[company], now)
        last = max((at for email, at in detractors.items() if company_of[email] == company), default=None)
        out[company] = CompanyRollup(rollup.open_incidents, last, rollup.nps_account_score,
                                     rollup.worst_open_priority)
    return out
