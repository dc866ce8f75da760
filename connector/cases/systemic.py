"""Systemic issues (``domain.systemic``): cases with one cause, close together, open one Zendesk
problem ticket, tag their recovery tickets, alert the owning team, and when the problem is solved
ask each case's owner to tell the customer what changed.

Jobs, each safe to run twice:

- ``systemic.check`` (a case with a cause, at intake or when its cause changes): joins the
  cause's open issue or opens one. The issue row is unique per (tenant, cause, window start): two
  workers deciding at once insert one row, the other's insert fails, its job retries and joins.
- ``zendesk.systemic`` (an issue): the problem ticket, created once (``external_id``
  ``recovery-systemic-<id>``, effect ledger and Idempotency-Key like the recovery tickets), then
  each member's recovery ticket tagged ``systemic_<cause>`` with a note, and members who joined
  later listed on the problem. Recovery tickets are ``task`` tickets with a due date; only
  ``incident`` tickets may carry ``problem_id``, so the link is the tag and that list. Joins and
  landings share one run per issue and ``SYSTEMIC_UPDATE_SECONDS`` (``systemic_updates``).
- ``chat.systemic`` (an issue): one alert to the owning team's chat.
- ``zendesk.systemic_solved`` and ``hubspot.systemic_solved`` (a member case, once the problem
  ticket is solved): a note on its recovery ticket; a task for its owner with the "we fixed what
  you told us" draft in the customer's language.
"""
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.cases.shared import complete_served, connected, require_synced, row, skip_unconnected
from connector.cases.systemic_joins import CHAT, PROBLEM, join_in_slices
from connector.cases.systemic_updates import release_if_idle
from connector.domain import routing, systemic
from connector.domain.causes import Cause
from connector.domain.text import one_line
from connector.jobs.queue import ClaimedJob, complete, enqueue, finish
from connector.ports.errors import SyncError
from connector.ports.keys import ZENDESK_PROBLEM, ZENDESK_SYSTEMIC_TAG, ledger_scope
from connector.providers.chat import ChatAlerts
from connector.providers.chat.guard import ChatPolicy
from connector.store.db import transaction
from connector.store.models import Answer, Case, SystemicIssue
from connector.store.snapshots import DbLedger

log = logging.getLogger(__name__)
SOLVED_NOTE, SOLVED_TASK = "zendesk.systemic_solved", "hubspot.systemic_solved"
ISSUE_KINDS = frozenset({PROBLEM, CHAT})
_CHAT, _LISTED, _TAGGED = "chat.systemic", "zendesk.listed.", ZENDESK_SYSTEMIC_TAG


def issue_scope(issue_id: int) -> str:
    return f"systemic:{issue_id}"


def _cause(rt: CaseContext, key: str) -> Cause:
    cause = rt.policies.causes.get(key)
    if cause is None:  # the admin removed it from the taxonomy: nothing to say about it
        raise LookupError(f"cause {key!r} is no longer in mappings/causes.json")
    return cause


def check_cases(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """Grouped: a campaign's checks in few claims, so cases join their issue before their
    recovery tickets are made (which then carry the tag and note: ``shared.case_snapshot_for``).
    Each job is completed in its case's transaction (``systemic_joins.join_in_slices``)."""
    of_case: dict[int, list[ClaimedJob]] = {}
    for job in jobs:  # a cause changed twice: two checks of one case in a group
        of_case.setdefault(job.ref_id, []).append(job)

    def settle(session: Session, case_id: int) -> None:
        for job in of_case[case_id]:
            complete(session, job, rt.clock())

    lost = join_in_slices(rt, list(of_case), settle)
    release_if_idle(rt)  # these checks are done now: were they the last that could ask?
    return {job.id: lost[job.ref_id] for job in jobs if job.ref_id in lost}


def zendesk_problems(rt: CaseContext, jobs: list[ClaimedJob]) -> dict[int, Exception]:
    """Grouped: in a campaign many cases join an issue within seconds; their asks share one job per
    window (``systemic_updates``), and a group serves each issue once (one comment listing the
    newcomers, their tags in bulk)."""
    if skip_unconnected(rt, jobs, "zendesk"):
        return {}
    results: dict[int, Exception | None] = {}
    for issue_id in sorted({job.ref_id for job in jobs}):
        mine = [job for job in jobs if job.ref_id == issue_id]
        try:
            _problem(rt, issue_id, fresh=all(job.fresh for job in mine))
            outcome: Exception | None = None
        except SyncError as exc:  # this issue alone is retried
            outcome = exc
        results.update({job.id: outcome for job in mine})
    return complete_served(rt, jobs, results)


def _problem(rt: CaseContext, issue_id: int, fresh: bool) -> None:
    """A few queries whatever the issue's size: the ledgers are read and written together, never
    one query per member (a campaign's issue of 1,500 members made every run O(N) transactions)."""
    with transaction(rt.sessions) as session:
        issue = row(session, SystemicIssue, issue_id)
        members = session.scalars(select(Case).where(Case.systemic_issue_id == issue.id).order_by(Case.id)).all()
        # A member whose ticket is still on its way is served when it lands (zendesk_sync queues
        # this job again then): waiting here would spend the job's attempts on the sync's pace.
        tickets = {c.id: int(c.zendesk_ticket_id) for c in members if c.zendesk_ticket_id is not None}
        cause, window_start = _cause(rt, issue.cause), issue.window_start
    if not tickets:
        return
    zendesk, rule = connected(rt.zendesk), rt.policies.causes.systemic
    ledger = DbLedger(rt.sessions, issue_scope(issue_id))
    first = ledger.get(ZENDESK_PROBLEM) is None
    problem_id = zendesk.open_problem(
        systemic.problem_external_id(issue_id), systemic.problem_subject(cause, issue_id),
        systemic.problem_body(cause, issue_id, tickets, rule, window_start), [systemic.systemic_tag(cause.key)],
        ledger, first_attempt=fresh)
    with transaction(rt.sessions) as session:
        row(session, SystemicIssue, issue_id).problem_ticket_id = problem_id
    listed = ledger.keys(_LISTED)
    if first:  # the problem's first comment lists everyone in the issue then
        _record(ledger, {f"{_LISTED}{c}": str(t) for c, t in tickets.items() if f"{_LISTED}{c}" not in listed})
        listed.update({f"{_LISTED}{c}": str(t) for c, t in tickets.items()})
    members_ledgers = {c: DbLedger(rt.sessions, ledger_scope(c)) for c in tickets}
    tagged = DbLedger.read_together(list(members_ledgers.values()), [_TAGGED])
    untagged = {c: tickets[c] for c, done in zip(members_ledgers, tagged) if _TAGGED not in done}
    if untagged:  # the same tag and note on each: one bulk update (a few: one by one)
        zendesk.tag_tickets(sorted(untagged.values()), [systemic.systemic_tag(cause.key)],
                            systemic.member_note(cause, issue_id, problem_id))
        DbLedger.record_together([(members_ledgers[c], _TAGGED, str(problem_id)) for c in untagged])
    joined = {c: t for c, t in tickets.items() if f"{_LISTED}{c}" not in listed}
    if joined:
        zendesk.update_ticket(problem_id, note=systemic.joined_comment(joined))
        _record(ledger, {f"{_LISTED}{c}": str(t) for c, t in joined.items()})


def _record(ledger: DbLedger, effects: dict[str, str]) -> None:
    if effects:
        DbLedger.record_together([(ledger, key, value) for key, value in effects.items()])


def chat_alert(rt: CaseContext, job: ClaimedJob) -> None:
    """The owning team's own chat webhook, else the deployment's (the team named in the text)."""
    ledger = DbLedger(rt.sessions, issue_scope(job.ref_id))
    with transaction(rt.sessions) as session:
        issue = row(session, SystemicIssue, job.ref_id)
        count = len(session.scalars(select(Case.id).where(Case.systemic_issue_id == issue.id)).all())
        cause, problem = _cause(rt, issue.cause), issue.problem_ticket_id
    chat = ChatAlerts(cause.team.chat_webhook_url, policy=ChatPolicy.from_config(rt.config)) \
        if cause.team.chat_webhook_url else rt.chat
    if chat is None:
        log.info("systemic issue %s: no chat for team %s (e-mail only)", job.ref_id, cause.team.name)
    elif not ledger.get(_CHAT):
        url = rt.zendesk.ticket_url(problem) if rt.zendesk is not None and problem else None
        chat.post(systemic.chat_alert(cause, job.ref_id, count, rt.policies.causes.systemic, url))
        ledger.record(_CHAT, "posted")
    finish(rt, job)


def problem_solved(session: Session, tenant_id: str, issue_id: int, now: Any) -> str:
    """The problem ticket was solved or closed: once, a note and an owner's task per member."""
    issue = session.get(SystemicIssue, issue_id)
    if issue is None or issue.tenant_id != tenant_id:
        return "not a systemic issue of this account"
    if issue.solved_at is not None:
        return "already solved"
    issue.solved_at = now
    for case_id in session.scalars(select(Case.id).where(Case.systemic_issue_id == issue.id)):
        enqueue(session, SOLVED_NOTE, case_id, tenant_id=tenant_id, dedupe_key=f"{SOLVED_NOTE}:{case_id}:{issue.id}")
        enqueue(session, SOLVED_TASK, case_id, tenant_id=tenant_id, dedupe_key=f"{SOLVED_TASK}:{case_id}:{issue.id}")
    return f"systemic issue {issue.id} solved"


def _member(rt: CaseContext, session: Session, case_id: int) -> tuple[Case, SystemicIssue, Cause]:
    case = row(session, Case, case_id)
    issue = row(session, SystemicIssue, case.systemic_issue_id)
    return case, issue, _cause(rt, issue.cause)


def zendesk_solved_note(rt: CaseContext, job: ClaimedJob) -> None:
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    with transaction(rt.sessions) as session:
        case, issue, cause = _member(rt, session, job.ref_id)
        ticket_id = require_synced(case.zendesk_ticket_id, "Zendesk ticket")
    key = f"zendesk.systemic_solved.{issue.id}"
    if not ledger.get(key):
        connected(rt.zendesk).update_ticket(ticket_id, note=systemic.solved_note(cause, issue.id))
        ledger.record(key, str(ticket_id))
    finish(rt, job)


def hubspot_solved_task(rt: CaseContext, job: ClaimedJob) -> None:
    ledger = DbLedger(rt.sessions, ledger_scope(job.ref_id))
    with transaction(rt.sessions) as session:
        case, issue, cause = _member(rt, session, job.ref_id)
        opening = row(session, Answer, case.opening_answer_id)
        customer = one_line(opening.customer_name) or opening.customer_email.split("@", 1)[0]
        owner = case.hubspot_owner or (routing.hubspot_owner_of(case.owner, rt.policies.routing) if case.owner else None)
        subject, body = systemic.tell_customer_task(cause, opening.locale, customer, case.owner_name or "",
                                                    rt.policies.causes.resolved_message)
        contact_id, issue_id = case.hubspot_contact_id, issue.id
    key = f"hubspot.systemic_solved.{issue_id}"
    if not ledger.get(key):
        task_id = connected(rt.hubspot).create_owner_task(owner, subject, body, f"recovery-{job.ref_id}-systemic-{issue_id}",
                                                          rt.clock() + timedelta(days=2), contact_id)
        ledger.record(key, task_id)
    finish(rt, job)
