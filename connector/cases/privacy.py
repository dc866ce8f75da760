"""Erasure on request (HubSpot ``contact.privacyDeletion``, GDPR): the person's
personal data leaves the store and nothing further is sent about them."""
import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from connector.cases.kinds import ANSWER_KINDS, CASE_KINDS, SIGNAL_KINDS
from connector.store import ticket_index
from connector.store.models import Answer, Case, ContactCompany, Job, Promise, SignalAlert

log = logging.getLogger(__name__)
ERASED = "erased@erased.invalid"


def erase_contact(session: Session, hubspot_contact_id: str, now: datetime, tenant_id: str = "default") -> dict[str, int]:
    """Erase everyone the tenant's store knows under this HubSpot contact; return counts.

    Contact ids are per portal: another tenant's person with the same id or e-mail is untouched.
    """
    emails = set(session.scalars(select(Case.customer_email).where(
        Case.tenant_id == tenant_id, Case.hubspot_contact_id == str(hubspot_contact_id))).all()) - {ERASED}
    if not emails:
        return {"cases": 0, "answers": 0, "jobs_cancelled": 0}
    cases = session.scalars(select(Case).where(Case.tenant_id == tenant_id, Case.customer_email.in_(emails))).all()
    answers = session.scalars(select(Answer).where(Answer.tenant_id == tenant_id,
                                                   Answer.customer_email.in_(emails))).all()
    for answer in answers:
        answer.customer_email, answer.customer_name, answer.company = ERASED, None, None
        answer.comment, answer.context, answer.lifetime_value = None, {}, None
    for case in cases:
        case.customer_email, case.profile_signals, case.lifetime_value = ERASED, [], None
        case.failure_note = None  # the owner's free text may speak of the person; the reason key stays
        if case.status == "open":
            case.status, case.closed_at = "closed", now
        if case.planned_at is None:  # its plan's job is cancelled below; no reader may plan it either
            case.planned_at = now
    session.execute(delete(ContactCompany).where(ContactCompany.tenant_id == tenant_id,
                                                 ContactCompany.customer_email.in_(emails)))
    # The ticket-history index keeps only ids and dates, and the e-mail of each requester: it goes.
    ticket_index.forget_emails(session, tenant_id, emails)
    pending = or_(Job.status == "queued", Job.status == "running")
    case_ids, answer_ids = [c.id for c in cases], [a.id for a in answers]
    # A promise's wording may name the customer or their contract; who and when are the staff's.
    session.execute(update(Promise).where(Promise.case_id.in_(case_ids or [-1])).values(what="(erased)"))
    # A weak signal's row names the person: it goes, with the alerts not yet sent.
    alert_ids = list(session.scalars(select(SignalAlert.id).where(
        SignalAlert.tenant_id == tenant_id, SignalAlert.customer_email.in_(emails))))
    session.execute(delete(SignalAlert).where(SignalAlert.id.in_(alert_ids or [-1])))
    result = cast(CursorResult[Any], session.execute(update(Job).where(pending, or_(
        Job.kind.in_(ANSWER_KINDS) & Job.ref_id.in_(answer_ids or [-1]),
        Job.kind.in_(SIGNAL_KINDS - {"signals.tickets"}) & Job.ref_id.in_(alert_ids or [-1]),
        Job.kind.in_(CASE_KINDS) & Job.ref_id.in_(case_ids or [-1]),  # other kinds' refs are no case ids
    )).values(status="cancelled", finished_at=now, last_error="privacy deletion")))
    counts = {"cases": len(cases), "answers": len(answers), "jobs_cancelled": result.rowcount}
    log.info("privacy deletion contact_id=%s %s", hubspot_contact_id, counts)
    return counts
