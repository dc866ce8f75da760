"""Feeding: a new answer's job and its delivery-log row, written by the worker from the answer.

The webhook's transaction holds what its 202 needs and nothing more: the answer (with the id of
the delivery that brought it) and, for a detractor, the case the 202 names (issue 16: the job
row and the log row were six more index pages a commit, a tenth of the web's CPU an answer).
The answers table is the outbox. The worker, before it claims jobs, feeds each new answer once:

- it queues the answer's one job: the plan of the case it opened (``cases.planning``), or else the
  contact's sync of its last answer (``hubspot.sync_answer``); an answer whose person was erased
  since (``cases.privacy``) gets none;
- it writes the delivery's "accepted" row (ids only, as every row of the log);
- it sets ``fed_at``, in the same transaction: fed once, by whichever worker or reader comes first
  (the UPDATE takes only the answers still unfed, and returns them).

A reader of the delivery log or of cases (the admin API, the screens) feeds first
(``web.planned``), so the log never misses an accepted answer, even while no worker runs. The
answers waiting are found in one probe of a partial index (``ix_answers_unfed``) that holds only
them, read without SQLite's write lock.
"""
import logging
from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.cases import planning
from connector.cases.privacy import ERASED
from connector.infra.slices import in_slices
from connector.jobs.queue import enqueue_fresh
from connector.store.db import reading, transaction
from connector.store.delivery_rows import INSERT_ROWS, accepted_row
from connector.store.models import Answer, Case

log = logging.getLogger(__name__)
SYNC_ANSWER = "hubspot.sync_answer"
# Answers per write transaction: SQLite's one write lock is what every webhook waits for.
FEED_SLICE = 100
_ANSWERS = cast(Table, Answer.__table__)


class FeedingHost(Protocol):
    """What feeding needs of the runtime: the worker's (untenanted) or a reader's."""

    sessions: sessionmaker[Session]

    def clock(self) -> datetime: ...


def feed_answers(rt: FeedingHost, at_most: int = 1000) -> int:
    """Feed the answers not fed yet, oldest first; how many this call fed."""
    with reading(rt.sessions) as session:  # the probe takes no write lock
        waiting = list(session.scalars(select(Answer.id).where(Answer.fed_at.is_(None))
                                        .order_by(Answer.id).limit(at_most)))
    fed = 0
    for part in in_slices(waiting, FEED_SLICE):
        with transaction(rt.sessions) as session:
            fed += _feed(session, part, rt.clock())
    if fed:
        log.debug("answers fed count=%s", fed)
    return fed


def _feed(session: Session, answer_ids: list[int], now: datetime) -> int:
    taken = sorted(session.execute(
        update(_ANSWERS).where(_ANSWERS.c.id.in_(answer_ids), _ANSWERS.c.fed_at.is_(None)).values(fed_at=now)
        .returning(_ANSWERS.c.id, _ANSWERS.c.tenant_id, _ANSWERS.c.case_id, _ANSWERS.c.source,
                   _ANSWERS.c.received_at, _ANSWERS.c.response_id, _ANSWERS.c.delivery_id,
                   _ANSWERS.c.customer_email)).all(), key=lambda answer: answer.id)
    if not taken:  # another worker (or a reader) fed them meanwhile
        return 0
    opened = set(session.scalars(select(Case.opening_answer_id).where(
        Case.id.in_({answer.case_id for answer in taken if answer.case_id is not None}))))
    jobs_of: dict[str, list[tuple[str, int, datetime]]] = {}
    for answer in taken:
        if answer.customer_email == ERASED:
            continue
        # Due from the answer's arrival: claimed before any job a later answer queued at intake.
        kind, ref = (planning.KIND, answer.case_id) if answer.id in opened else (SYNC_ANSWER, answer.id)
        jobs_of.setdefault(answer.tenant_id, []).append((kind, ref, answer.received_at))
    for tenant_id, jobs in jobs_of.items():
        enqueue_fresh(session, jobs, tenant_id=tenant_id)
    INSERT_ROWS.execute_many(session, [
        accepted_row(answer.tenant_id, answer.source, answer.delivery_id, answer.received_at, answer.response_id)
        for answer in taken])
    return len(taken)
