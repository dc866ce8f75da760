"""When a systemic issue's problem ticket is brought up to date (``zendesk.systemic``).

A case joining an issue, and a member's recovery ticket landing in Zendesk, each ask for an
update: tag the member's ticket, list it on the problem. A run serves every member not yet tagged
or listed, so asks close together need one run. With ``SYSTEMIC_UPDATE_SECONDS`` (default 30) they
share one job per issue and window of that many seconds, due at the window's end: a campaign's
hundreds of joins to one issue cost a few rounds of one bulk tag update and one comment each,
instead of one round per claimed group (each with its update_many, its job-status polls and its
comment). 0: one job per ask, due at once.

The window only holds while more asks are on their way: a handler that asked (a group of checks,
a Zendesk sync whose tickets landed) releases the tenant's pending updates once its own jobs are
done, when no job that could ask again (``FEEDERS``: a plan, a check or a Zendesk sync) is queued or
running (``release_if_idle``, ``queue.due_now_when_idle``): a lone join is listed at once, and a
campaign's last round does not wait out its window.

The problem ticket itself is not kept waiting: ``systemic.check`` queues the issue's opening job
at once, and until the problem ticket is open every ask is served at once, as with 0 (the opening
job finds no member ticket when they are all still on their way; the first to land opens it).

Used by the ``systemic`` and ``zendesk_sync`` handlers, which never import each other.
"""
from collections.abc import Mapping
from contextlib import nullcontext

from sqlalchemy.orm import Session

from connector.cases.context import CaseContext
from connector.jobs.queue import due_now_when_idle, enqueue, enqueue_for_window, window_end
from connector.store.db import transaction

UPDATE_KIND = "zendesk.systemic"
DEFAULT_UPDATE_SECONDS = 30.0
# The jobs that ask for updates (a join, a landing): while one is queued or running, the window holds.
FEEDERS = ("case.plan", "systemic.check", "zendesk.sync_case")


def update_seconds(rt: CaseContext) -> float:
    value = rt.config.get("SYSTEMIC_UPDATE_SECONDS", DEFAULT_UPDATE_SECONDS)
    return max(float(DEFAULT_UPDATE_SECONDS if value is None else value), 0.0)


def queue_update(rt: CaseContext, session: Session, issue_id: int, tenant_id: str, asks: list[str], *,
                 problem_open: bool) -> None:
    """One pending update per issue and window once its problem ticket is open; before that, or
    with no window, one job per ask (``asks`` name the joins or landings), due at once."""
    window = update_seconds(rt)
    if window > 0 and problem_open:
        # The context's clock, never wall time: tests travel it. Due at the window's end, never
        # sooner: an ask later in the window finds the job still queued, and it serves that ask
        # too. The key names the window's length, so a changed setting never meets a used key.
        end = window_end(rt.clock(), window)
        key = f"{UPDATE_KIND}:{issue_id}:every{window:g}s:{round(end.timestamp() * 1000)}"
        if enqueue_for_window(session, UPDATE_KIND, issue_id, tenant_id=tenant_id, dedupe_key=key, run_at=end):
            return
        # A worker took the window's job between this ask's clock reading and its commit: that
        # run may read the members before this ask commits. Served on its own, as with no window.
    for ask in asks:
        enqueue(session, UPDATE_KIND, issue_id, tenant_id=tenant_id, dedupe_key=f"{UPDATE_KIND}:{issue_id}:{ask}")


def queue_updates(rt: CaseContext, session: Session, asks: Mapping[tuple[int, str, bool], list[str]]) -> None:
    """``queue_update`` for each ``(issue id, tenant, problem open)`` and the asks made of it."""
    for (issue_id, tenant_id, problem_open), of_issue in asks.items():
        queue_update(rt, session, issue_id, tenant_id, of_issue, problem_open=problem_open)


def release_if_idle(rt: CaseContext, session: Session | None = None) -> None:
    """Once a handler's asks are in and its own jobs settled (a group of checks, a Zendesk sync's
    landings): the tenant's pending updates are due now when no check or sync is left queued or
    running (another worker's may ask again in a moment). Once per handler run, not per ask:
    under SQLite's write lock every statement counts."""
    if update_seconds(rt) <= 0:
        return
    with nullcontext(session) if session is not None else transaction(rt.sessions) as within:
        due_now_when_idle(within, UPDATE_KIND, rt.tenant_id, rt.clock(), FEEDERS, running_too=True)
