"""The job registry of the use cases: which handler serves each kind, what an error means, what a
dead job does to its case, and the deadline scan. Built once by the runtime."""
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from connector.cases import (
    alerts,
    business_hours,
    causes,
    company_rollup,
    company_writes,
    deadlines,
    digest,
    failure,
    feeding,
    followup,
    hubspot_sync,
    outcome,
    planning,
    priority_support,
    promise_deadlines,
    promise_sync,
    reps,
    resurvey,
    signals,
    stages,
    systemic,
    systemic_joins,
    ticket_index,
    value,
    zendesk_sync,
)
from connector.cases.kinds import CASE_KINDS
from connector.cases.shared import row
from connector.domain.text import plain_name
from connector.installs.tokens import NotConnected
from connector.jobs.queue import ClaimedJob, finish
from connector.jobs.registry import Classified, Handler, Registry, Verdict
from connector.ports.errors import SyncError
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.retention import DEFAULT_DAYS, trim_connect_links, trim_deliveries
from connector.store.signals import trim_tickets

log = logging.getLogger(__name__)


def classify(exc: Exception) -> Classified:
    """Typed errors say whether to retry; anything else is a bug or an unknown library error."""
    if isinstance(exc, NotConnected):  # uninstalled or revoked meanwhile: the work has no one to go to
        return Classified(Verdict.CANCEL, str(exc))
    if isinstance(exc, SyncError):
        return Classified(Verdict.RETRY if exc.retryable else Verdict.DEAD, str(exc), exc.retry_after,
                          label=error_label(exc))
    return Classified(Verdict.RETRY, f"{type(exc).__name__}: {exc}", unexpected=True, label=type(exc).__name__)


def error_label(exc: SyncError) -> str:
    """``ZendeskPermanentError 422 RecordInvalid fields=due_at``: the kind, HTTP status, vendor
    code and refused field names of a vendor error, enough to know what to fix from the log."""
    code, fields = getattr(exc, "code", None), getattr(exc, "fields", ()) or ()
    names = [name for name in fields if plain_name(name)]
    parts = [type(exc).__name__, str(exc.status or ""), plain_name(code) or "",
             f"fields={','.join(names)}" if names else ""]
    return " ".join(part for part in parts if part)


def mark_case_failed(rt: Any, job: ClaimedJob) -> None:
    """A dead case job shows on its case (``sync_status`` failed) until it is replayed."""
    if job.kind in CASE_KINDS:
        with transaction(rt.sessions) as session:
            row(session, Case, job.ref_id).sync_failed = True


def when_connected(vendor: str, function: Handler) -> Handler:
    """A vendor the install has not connected: the job completes without a call."""
    def run(rt: Any, job: ClaimedJob) -> None:
        if getattr(rt, vendor) is None:
            finish(rt, job)
            return
        function(rt, job)
    return run


def scan_deadlines(rt: Any) -> int:
    """Stages, then promises of the action plan: both escalate the same way, on one schedule."""
    now = rt.clock()
    return deadlines.mark_overdue(rt, now) + promise_deadlines.mark_overdue_promises(rt, now)


def build_registry(scan_interval: Callable[[], float]) -> Registry:
    registry = Registry(classify=classify, on_dead=mark_case_failed)
    registry.feed(feeding.feed_answers)  # each new answer's job and delivery-log row, before any claim
    registry.group(planning.KIND, planning.plan_cases)
    registry.group("zendesk.sync_case", zendesk_sync.zendesk_sync_cases)
    registry.group("hubspot.sync_answer", hubspot_sync.hubspot_sync_answers)
    registry.group("hubspot.sync_case", hubspot_sync.hubspot_sync_cases)
    registry.group("hubspot.link_ticket", hubspot_sync.hubspot_link_tickets)
    registry.group("hubspot.company_rollup", company_rollup.hubspot_company_rollups)
    registry.group(company_writes.KIND, company_writes.hubspot_company_writes)
    registry.group("hubspot.case_note", alerts.hubspot_case_notes)
    registry.group("chat.new_case", alerts.chat_new_cases)
    registry.group("hubspot.rep_heads_up", reps.hubspot_tell_reps)
    registry.group("hubspot.rep_note", reps.hubspot_rep_notes)
    registry.handler("hubspot.lifetime_value", value.lookup_lifetime_value)
    registry.handler(resurvey.KIND, resurvey.request_resurvey)
    registry.handler(signals.ANSWER, signals.check_answer)
    registry.group(systemic_joins.CHECK, systemic.check_cases)
    registry.group(systemic_joins.PROBLEM, systemic.zendesk_problems)
    registry.handler(systemic_joins.CHAT, systemic.chat_alert)  # the team's own chat, or the deployment's
    registry.handler(signals.TICKETS, when_connected("zendesk", signals.check_tickets))
    registry.handler(ticket_index.PULL_KIND, when_connected("zendesk", ticket_index.pull))
    registry.handler(ticket_index.REQUESTER_KIND, when_connected("zendesk", ticket_index.lookup_requesters))
    for kind, vendor, function in (
            ("zendesk.stage_update", "zendesk", stages.zendesk_stage_update),
            ("hubspot.stage_update", "hubspot", stages.hubspot_stage_update),
            ("zendesk.followup", "zendesk", followup.zendesk_followup),
            ("zendesk.close_case", "zendesk", outcome.zendesk_close_case),
            ("hubspot.close_case", "hubspot", outcome.hubspot_close_case),
            ("zendesk.interim_note", "zendesk", outcome.zendesk_interim_notes),
            ("hubspot.closing_task", "hubspot", failure.hubspot_closing_task),
            ("zendesk.escalate", "zendesk", deadlines.zendesk_escalate),
            ("hubspot.escalate", "hubspot", deadlines.hubspot_escalate),
            ("chat.overdue", "chat", deadlines.chat_overdue),
            ("hubspot.promise_tasks", "hubspot", promise_sync.hubspot_promise_tasks),
            ("zendesk.promise_note", "zendesk", promise_sync.zendesk_promise_note),
            ("zendesk.promise_overdue", "zendesk", promise_deadlines.zendesk_promise_escalate),
            ("chat.promise_overdue", "chat", promise_deadlines.chat_promise_overdue),
            (priority_support.GRANT, "zendesk", priority_support.tag_requester),
            (priority_support.END, "zendesk", priority_support.untag_requester),
            (signals.HUBSPOT_TASK, "hubspot", signals.hubspot_signal_task),
            (signals.CHAT, "chat", signals.chat_signal),
            (digest.HUBSPOT_TASK, "hubspot", digest.hubspot_digest),
            (digest.CHAT, "chat", digest.chat_digest),
            (causes.ZENDESK_JOB, "zendesk", causes.zendesk_cause),
            (systemic.SOLVED_NOTE, "zendesk", systemic.zendesk_solved_note),
            (systemic.SOLVED_TASK, "hubspot", systemic.hubspot_solved_task)):
        registry.handler(kind, when_connected(vendor, function))
    # Every worker scans; a conditional UPDATE makes one of them win each stage (and promise).
    registry.every("deadlines", scan_interval, scan_deadlines)
    registry.every("priority_support", scan_interval, lambda rt: priority_support.end_expired(rt, rt.clock()))
    # The re-survey of each case comes due once; the job's dedupe key keeps it to one request.
    registry.every("resurvey", scan_interval, lambda rt: resurvey.enqueue_due(rt, rt.clock()))
    # The ticket-history index: backfill at start and install, then a pull every few minutes.
    registry.every("ticket_index", scan_interval, lambda rt: ticket_index.schedule_pulls(rt, rt.clock()))
    registry.every("business_hours", scan_interval, lambda rt: business_hours.refresh_schedules(rt, rt.clock()))
    # Every worker scans; the unique (tenant, owner, ISO week) row lets one of them win each digest.
    registry.every("weekly_digest", scan_interval, lambda rt: digest.claim_due(rt, rt.clock()))
    # Any worker may trim: deleting what is already gone deletes nothing.
    registry.every("delivery-log-retention", lambda: RETENTION_INTERVAL_SECONDS, trim_delivery_log)
    return registry


RETENTION_INTERVAL_SECONDS = 3600.0


def trim_delivery_log(rt: Any) -> int:
    days = float(rt.config.get("DELIVERY_LOG_RETENTION_DAYS") or DEFAULT_DAYS)
    removed = trim_deliveries(rt.sessions, rt.clock(), days)
    trim_connect_links(rt.sessions, rt.clock())
    # Ticket creations count only within the weak signal's window.
    trim_tickets(rt.sessions, rt.clock() - timedelta(days=rt.policies.signals.ticket_window_days + 1))
    if removed:
        log.info("delivery log trimmed rows=%s older_than_days=%s", removed, days)
    return removed
