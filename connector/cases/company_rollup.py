"""The account view on the HubSpot company: which company each customer is, and its roll-up.

Run by the HubSpot handlers after the contacts are written (an answer, a case opening, a
case closing). A customer's company is looked up once and kept (``ContactCompany``); the
roll-up of every company touched by the group of jobs is then computed again from the
store (exact, never incremented) and written in one batch per 100 companies: a campaign
of many answers from one company costs one input, not one call per answer.
"""
import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select

from connector.cases.context import CaseContext
from connector.cases.shared import batch_limit, connected
from connector.domain.account import NPS_WINDOW, AccountAnswer, CompanyRollup, company_rollup
from connector.ports.errors import SyncError
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, ContactCompany

log = logging.getLogger(__name__)

Contacts = Mapping[int, tuple[str, str]]  # job id -> (customer e-mail, HubSpot contact id)


def sync_companies(rt: CaseContext, contacts: Contacts) -> dict[int, Exception]:
    """The companies of these jobs' customers brought up to date; an error per job that failed."""
    if not contacts:
        return {}
    try:
        company_of = _companies(rt, contacts)
    except SyncError as exc:
        log.warning("hubspot companies not found for %d jobs: %s", len(contacts), type(exc).__name__)
        return {job: exc for job in contacts}
    touched = sorted({c for c in company_of.values() if c})
    if not touched:
        return {}
    rollups = _rollups(rt, touched)
    outcomes = connected(rt.hubspot).update_company_rollups(rollups, batch_limit(rt))
    log.info("hubspot company roll-up: %d companies for %d jobs", len(touched), len(contacts))
    return {job: err for job, (email, _) in contacts.items()
            if (company := company_of.get(email)) and isinstance(err := outcomes.get(company), Exception)}


def _companies(rt: CaseContext, contacts: Contacts) -> dict[str, str | None]:
    """Company id (or None) per e-mail: kept from an earlier lookup, else asked of HubSpot."""
    emails = {email for email, _ in contacts.values()}
    with reading(rt.sessions) as session:
        known = {row.customer_email: row.company_id for row in session.scalars(
            select(ContactCompany).where(ContactCompany.tenant_id == rt.tenant_id,
                                         ContactCompany.customer_email.in_(emails)))}
    ask = {contact_id: email for email, contact_id in contacts.values() if email not in known}
    if not ask:
        return known
    answered = connected(rt.hubspot).companies_of(ask)
    found = {ask[contact_id]: company for contact_id, company in answered.items()}
    with transaction(rt.sessions) as session:
        for email, company in sorted(found.items()):
            session.merge(ContactCompany(tenant_id=rt.tenant_id, customer_email=email, company_id=company,
                                         found_at=rt.clock()))
    return {**known, **found}


def _rollups(rt: CaseContext, companies: list[str]) -> dict[str, CompanyRollup]:
    now = rt.clock()
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
