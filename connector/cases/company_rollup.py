"""The account view on the HubSpot company: which company each customer is, and its roll-up.

Queued by the HubSpot handlers once a contact is written (an answer, a case opening, a case
closing): ``hubspot.company_rollup``, one job per answer and reason. A customer's company is
looked up once and kept (``ContactCompany``); a contact the connector's upsert just made has
no association to read, so its company is its e-mail domain's at once. The roll-up of every
company touched by a group of jobs is computed again from the store (exact, never incremented)
and written in one batch per 100 companies, at most once per window (``company_writes``): a
campaign of many answers from one company costs one input, not one call per answer.
"""
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, or_, select, update

from connector.cases.company_writes import write_rollups
from connector.cases.context import CaseContext
from connector.cases.shared import complete_served, connected, row, skip_unconnected
from connector.domain.account import email_domain
from connector.jobs.queue import ClaimedJob, enqueue_many
from connector.ports.batches import created_by_upsert, created_with_company
from connector.ports.errors import RetryableError, SyncError
from connector.store.claims import claim, claim_key, settle
from connector.store.db import reading, transaction
from connector.store.models import Answer, ContactCompany

log = logging.getLogger(__name__)
DOMAIN_CLAIMS = "company-domain"
CLAIM_LEASE = timedelta(minutes=5)  # a worker that died holding a domain lets another make it after this


def queue_rollups(rt: CaseContext, written: Sequence[tuple[int, str, str, str]]) -> None:
    """After a contact write: keep its contact id and queue its company's roll-up.

    ``written``: (answer id, customer e-mail, HubSpot contact id as the write answered it (a
    ``ContactId`` says whether the write made the contact, and with which company), why:
    answer/open/close). A contact made with its company has that company found at once: the
    roll-up job neither reads nor associates it, it writes the roll-up. Its own
    job, so a company API refusal (a portal installed before the company scopes) or a slow domain
    look-up never holds back the contact, the tasks or the case's sync; one job per answer and
    reason, grouped by the worker, so many answers of one company become one input.
    """
    if not written:
        return
    with transaction(rt.sessions) as session:  # a few statements for the group: every webhook waits on this lock
        emails = sorted({email for _, email, _, _ in written})
        rows = {r.customer_email: r for r in session.scalars(select(ContactCompany).where(
            ContactCompany.tenant_id == rt.tenant_id, ContactCompany.customer_email.in_(emails)))}
        new: dict[str, dict[str, object]] = {}
        for _, email, contact_id, _ in sorted(written):
            known, created, company = rows.get(email), created_by_upsert(contact_id), created_with_company(contact_id)
            found_at = rt.clock() if company else None
            if known is None:
                new[email] = dict(tenant_id=rt.tenant_id, customer_email=email, contact_id=str(contact_id),
                                  created_by_upsert=created, company_id=company, found_at=found_at)
            elif known.contact_id != contact_id:  # merged or recreated in HubSpot: look its company up again
                # recreated by this write: no association yet (unless made with one); merged: read it
                known.contact_id, known.company_id, known.found_at = str(contact_id), company, found_at
                known.created_by_upsert = created
            # the same contact again: its flag stays (a second upsert of a contact the first made says not new)
        if new:
            session.execute(insert(ContactCompany), list(new.values()))
        enqueue_many(session, [("hubspot.company_rollup", answer_id, f"hubspot.company_rollup:{answer_id}:{why}")
                               for answer_id, _, _, why in sorted(written)], tenant_id=rt.tenant_id)


def hubspot_company_rollups(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """The companies of these answers' customers, looked up once, and their roll-ups written."""
    if skip_unconnected(rt, jobs, "hubspot"):
        return {}
    with reading(rt.sessions) as session:
        email_of = {job.id: row(session, Answer, job.ref_id).customer_email for job in jobs}
    try:
        company_of = _companies(rt, set(email_of.values()))
    except SyncError as exc:
        log.warning("hubspot companies not found for %d jobs: %s", len(jobs), type(exc).__name__)
        return {job.id: exc for job in jobs}
    touched = sorted({c for c in company_of.values() if c})
    outcomes = write_rollups(rt, touched)
    log.info("hubspot company roll-up: %d companies for %d jobs", len(touched), len(jobs))
    later = RetryableError("the company of this e-mail's domain is being created by another worker", retry_after=2)
    results = {job.id: outcomes.get(company_of.get(email_of[job.id]) or "") if email_of[job.id] in company_of
               else later for job in jobs}
    return complete_served(rt, jobs, results)


def _companies(rt: CaseContext, emails: set[str]) -> dict[str, str | None]:
    """Company id (or None) per e-mail: kept from an earlier look-up, else asked of HubSpot.

    An e-mail whose domain's company another worker is making right now is left out.
    """
    with reading(rt.sessions) as session:
        rows = {r.customer_email: (r.contact_id, r.company_id, r.found_at, r.created_by_upsert)
                for r in session.scalars(select(ContactCompany).where(
                    ContactCompany.tenant_id == rt.tenant_id, ContactCompany.customer_email.in_(emails)))}
    known = {email: company for email, (_, company, found, _) in rows.items() if found is not None}
    ask = {contact: email for email, (contact, _, found, _) in rows.items() if found is None and contact}
    created = {contact for contact, email in ask.items() if rows[email][3]}
    if not ask:
        return known
    claimed: set[str] = set()

    def may_create(domains: list[str]) -> set[str]:
        """One worker per new domain makes its company; the others retry and find it."""
        mine = {d for d in domains if claim(rt.sessions, DOMAIN_CLAIMS, claim_key(rt.tenant_id, d), rt.clock(),
                                            CLAIM_LEASE)}
        claimed.update(mine)
        return mine

    answered = connected(rt.hubspot).companies_of(ask, known_domains(rt, set(ask.values())), may_create, created)
    found = {ask[contact_id]: company for contact_id, company in answered.items()}
    for domain in claimed:
        made = next((company for email, company in found.items() if company and email_domain(email) == domain), None)
        if made:
            settle(rt.sessions, DOMAIN_CLAIMS, claim_key(rt.tenant_id, domain), made)
    if found:  # one UPDATE for the group under the write lock, not a look-up and an update each
        table = cast(Table, ContactCompany.__table__)
        with transaction(rt.sessions) as session:
            session.execute(update(table).where(table.c.tenant_id == rt.tenant_id,
                                                table.c.customer_email == bindparam("email"))
                            .values(company_id=bindparam("company"), found_at=rt.clock()),
                            [dict(email=email, company=company) for email, company in sorted(found.items())])
    return {**known, **found}


def known_domains(rt: CaseContext, emails: set[str]) -> dict[str, str]:
    """Domain -> the company another customer of that domain already has (the oldest look-up),
    from the store only: the roll-up's hints, and the company a contact is created with."""
    domains = {d for e in emails if (d := email_domain(e))}
    if not domains:
        return {}
    with reading(rt.sessions) as session:
        rows = session.execute(select(ContactCompany.customer_email, ContactCompany.company_id).where(
            ContactCompany.tenant_id == rt.tenant_id, ContactCompany.company_id.is_not(None),
            or_(*(ContactCompany.customer_email.like(f"%@{d}") for d in sorted(domains))))
            .order_by(ContactCompany.found_at.desc())).all()
    return {d: company for email, company in rows if company and (d := email_domain(email)) in domains}
