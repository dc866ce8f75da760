"""Weak signals on valuable accounts: a relationship cooling before any detractor answer.

Two signals, for contacts whose value tier is watched (``mappings/signals.json``, default critical
and high, from the answer's lifetime value):

* ``score_drop``: an answer ``score_drop`` points or more below the contact's previous answer of
  the same survey type, itself no detractor's (NPS 10 -> 7). Intake enqueues ``signals.answer``
  only for such answers with an earlier one of their type; the job compares the two scores.
* ``tickets``: ``ticket_count`` Zendesk tickets or more in ``ticket_window_days``, counted from the
  ``ticket.created`` events Zendesk already sends (``zendesk_events``; the connector's own recovery
  tickets are not counted). Events name the requester by id, so when a requester's count reaches
  the threshold one ``signals.tickets`` job per requester and period asks Zendesk for the e-mail,
  never a search per answer.

Either raises once per signal, contact and period: a unique row in ``signal_alerts`` claimed by a
conditional insert (``store.signals``), whatever the number of workers. The alert goes to the owner
(a HubSpot task) and to the team chat, as jobs with their own ledger.
"""
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import connected, row
from connector.cases.transitions import SIGNAL_CHECK
from connector.domain import routing, rules, signals
from connector.jobs.queue import ClaimedJob, enqueue, finish
from connector.providers.chat.account_messages import SignalView, signal_subject, signal_text
from connector.store import ticket_index
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, SignalAlert, TicketCreation
from connector.store.signals import claim_signal, record_ticket, tickets_since
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
ANSWER = SIGNAL_CHECK  # enqueued by intake (``transitions.watch_for_signals``)
TICKETS = "signals.tickets"
HUBSPOT_TASK = "hubspot.signal_task"
CHAT = "chat.signal"
ALERT_KINDS = (HUBSPOT_TASK, CHAT)


def _ledger(rt: CaseContext, alert_id: int) -> DbLedger:
    return DbLedger(rt.sessions, f"signal:{alert_id}")


def _owner(rt: CaseContext, session: Session, tenant_id: str, email: str, tier: str) -> str:
    """The contact's rep (their HubSpot owner, as the latest case's heads-up found it), else the
    owner of their latest case, else the routing owner of the value tier."""
    told = session.scalar(select(Case.rep).where(Case.tenant_id == tenant_id, Case.customer_email == email,
                                                 Case.rep.is_not(None)).order_by(Case.id.desc()).limit(1))
    if told and told.get("hubspot_owner_id") and not told.get("fallback"):
        return str(told["hubspot_owner_id"])
    known = session.scalar(select(Case.owner).where(Case.tenant_id == tenant_id, Case.customer_email == email,
                                                    Case.owner.is_not(None)).order_by(Case.id.desc()).limit(1))
    return known or routing.route(tier, excluded_agent_email=None, routing=rt.policies.routing).email


def _raise(rt: CaseContext, session: Session, answer: Answer, signal: str, details: dict[str, Any]) -> int | None:
    now = rt.clock()
    tier = rules.value_tier(answer.lifetime_value, rt.rules)
    owner = _owner(rt, session, answer.tenant_id, answer.customer_email, tier)
    alert_id = claim_signal(session, answer.tenant_id, answer.customer_email, signal,
                            signals.period_of(now, rt.policies.signals), now, owner,
                            {**details, "answer_id": answer.id, "value_tier": tier})
    if alert_id is None:
        return None
    for kind in ALERT_KINDS:
        enqueue(session, kind, alert_id, tenant_id=answer.tenant_id)
    log.info("weak signal raised alert_id=%s signal=%s value_tier=%s", alert_id, signal, tier)
    return alert_id


def _previous_score(session: Session, answer: Answer) -> int | None:
    return session.scalar(select(Answer.score).where(
        Answer.tenant_id == answer.tenant_id, Answer.customer_email == answer.customer_email,
        Answer.survey_type == answer.survey_type, Answer.id != answer.id,
        Answer.submitted_at < answer.submitted_at).order_by(Answer.submitted_at.desc()).limit(1))


def check_answer(rt: CaseContext, job: ClaimedJob) -> None:
    """``signals.answer``: a drop against the previous answer of the same survey type."""
    with transaction(rt.sessions) as session:
        answer = row(session, Answer, job.ref_id)
        previous = _previous_score(session, answer)
        if signals.score_drop(previous, answer.score, answer.category, rt.policies.signals):
            _raise(rt, session, answer, signals.SCORE_DROP,
                   {"survey_type": answer.survey_type, "previous": previous, "score": answer.score})
    finish(rt, job)
    rt.notify()


def record_ticket_created(rt: CaseContext, ticket_id: int, requester_id: int, created_at: datetime) -> str:
    """A ``ticket.created`` event: store it; at the threshold, one lookup job per requester and period."""
    signal_rules = rt.policies.signals
    with transaction(rt.sessions) as session:
        creation_id = record_ticket(session, rt.tenant_id, ticket_id, requester_id, created_at)
        if creation_id is None:
            return "ticket seen before"
        since = rt.clock() - timedelta(days=signal_rules.ticket_window_days)
        count = tickets_since(session, rt.tenant_id, requester_id, since)
        if not signals.ticket_burst(count, signal_rules):
            return f"ticket recorded ({count} in window)"
        period = signals.period_of(rt.clock(), signal_rules)
        enqueue(session, TICKETS, creation_id, tenant_id=rt.tenant_id,
                dedupe_key=f"{TICKETS}:{rt.tenant_id}:{requester_id}:{period}")
    rt.notify()
    return f"ticket recorded ({count} in window: signal check)"


def check_tickets(rt: CaseContext, job: ClaimedJob) -> None:
    """``signals.tickets``: who the requester is (one Zendesk call), and whether they are watched."""
    with reading(rt.sessions) as session:
        creation = row(session, TicketCreation, job.ref_id)
        requester_id = creation.requester_id
        known, email = ticket_index.known_email(session, rt.tenant_id, requester_id)
    if not known:  # the ticket-history index read them already, most often: no second call
        email = connected(rt.zendesk).user_email(requester_id)
        with transaction(rt.sessions) as session:
            ticket_index.save_emails(session, rt.tenant_id, {requester_id: email})
    signal_rules = rt.policies.signals
    with transaction(rt.sessions) as session:
        answer = session.scalar(select(Answer).where(
            Answer.tenant_id == rt.tenant_id, Answer.customer_email == (email or "").lower())
            .order_by(Answer.submitted_at.desc()).limit(1)) if email else None
        if answer is not None and signals.watched(rules.value_tier(answer.lifetime_value, rt.rules), signal_rules):
            since = rt.clock() - timedelta(days=signal_rules.ticket_window_days)
            _raise(rt, session, answer, signals.TICKETS,
                   {"tickets": tickets_since(session, rt.tenant_id, requester_id, since),
                    "window_days": signal_rules.ticket_window_days})
    finish(rt, job)
    rt.notify()


def _view(rt: CaseContext, alert_id: int) -> tuple[SignalView, SignalAlert, str | None]:
    """The alert as the owner reads it, and the contact's HubSpot id if a case synced it."""
    with reading(rt.sessions) as session:
        alert = row(session, SignalAlert, alert_id)
        details = dict(alert.details or {})
        answer = session.get(Answer, details.get("answer_id"))
        contact_id = session.scalar(select(Case.hubspot_contact_id).where(
            Case.tenant_id == alert.tenant_id, Case.customer_email == alert.customer_email,
            Case.hubspot_contact_id.is_not(None)).order_by(Case.id.desc()).limit(1))
        view = SignalView(signal=alert.signal, customer_name=answer.customer_name if answer else None,
                          company=answer.company if answer else None, value_tier=details.get("value_tier", ""),
                          owner=alert.owner, survey_type=details.get("survey_type"), previous=details.get("previous"),
                          score=details.get("score"),
                          comment=answer.comment if answer and alert.signal == signals.SCORE_DROP else None,
                          tickets=details.get("tickets"), window_days=details.get("window_days"))
        session.expunge(alert)
    return view, alert, contact_id


def hubspot_signal_task(rt: CaseContext, job: ClaimedJob) -> None:
    view, alert, contact_id = _view(rt, job.ref_id)
    effects = _ledger(rt, alert.id)
    if not effects.get(HUBSPOT_TASK):
        owner = routing.hubspot_owner_of(alert.owner, rt.policies.routing) if alert.owner else None
        task_id = connected(rt.hubspot).create_owner_task(
            owner, signal_subject(view), signal_text(view), f"recovery-signal-{alert.id}",
            rt.clock() + timedelta(days=1), contact_id)
        effects.record(HUBSPOT_TASK, task_id)
    finish(rt, job)


def chat_signal(rt: CaseContext, job: ClaimedJob) -> None:
    view, alert, _ = _view(rt, job.ref_id)
    effects = _ledger(rt, alert.id)
    if not effects.get(CHAT):
        connected(rt.chat).post(signal_text(view))
        effects.record(CHAT, "posted")
    finish(rt, job)
