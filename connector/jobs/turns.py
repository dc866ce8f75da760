"""Claims take turns across tenants (issue 14, finding 5: one tenant's 1,500 answers delayed
another tenant's lone case by 13-47 s when jobs were claimed first come, first served).

``claim_turns`` holds a counter per tenant, bumped each time one of its jobs is claimed. The
next claim goes to the tenant with due work whose turn is oldest (one new to the line first),
and within it to its oldest due job; so a lone job of one tenant waits for at most one claim
(one group) of a busy tenant per worker, whatever that tenant's backlog.
"""
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from connector.store.models import ClaimTurn, Job


def next_job(session: Session, now: datetime) -> Job | None:
    """The oldest claimable job of the tenant served least recently that has one.

    One index probe per tenant in line (``ix_jobs_turn``), then one index seek for the job:
    the claim does not sort the whole backlog. A tenant missing from the line (a job inserted
    by other means) is still served, by the first-come look-up at the end."""
    for tenant, expired in session.execute(_TENANTS_WITH_WORK, {"now": now}).all():
        for branch in (_EXPIRED, _DUE) if expired else (_DUE,):  # a dead worker's job first: it waited longest
            job = session.scalars(locking(session, branch), {"now": now, "tenant": tenant}).first()
            if job is not None:
                return job
    claimable = or_(and_(Job.status == "queued", Job.run_at <= now),
                    and_(Job.status == "running", Job.lease_until < now))
    return session.scalars(locking(session, select(Job).where(claimable).order_by(Job.run_at, Job.id)
                                    .limit(1))).first()


def _first_queued(column):
    """A tie in turns (tenants new to the line): the tenant whose job came first goes first."""
    return (select(column).where(Job.tenant_id == ClaimTurn.tenant_id, Job.status == "queued")
            .order_by(Job.run_at, Job.id).limit(1).scalar_subquery())  # an index seek, not min() over all


_NOW = bindparam("now")
_OF_TENANT = Job.tenant_id == bindparam("tenant")
_DUE = select(Job).where(_OF_TENANT, Job.status == "queued", Job.run_at <= _NOW).order_by(Job.run_at, Job.id).limit(1)
_EXPIRED = (select(Job).where(_OF_TENANT, Job.status == "running", Job.lease_until < _NOW)
            .order_by(Job.run_at, Job.id).limit(1))
_HAS_EXPIRED = select(Job.id).where(Job.tenant_id == ClaimTurn.tenant_id, Job.status == "running",
                                    Job.lease_until < _NOW).exists()
_TENANTS_WITH_WORK = select(ClaimTurn.tenant_id, _HAS_EXPIRED).where(or_(
    select(Job.id).where(Job.tenant_id == ClaimTurn.tenant_id, Job.status == "queued", Job.run_at <= _NOW).exists(),
    _HAS_EXPIRED,
)).order_by(ClaimTurn.turn, *(_first_queued(column) for column in (Job.run_at, Job.id)), ClaimTurn.tenant_id)


def locking(session, query):
    """PostgreSQL: rows another worker is claiming are skipped, not waited for."""
    if session.bind.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query  # SQLite: BEGIN IMMEDIATE already serialises claims


def join_line(session: Session, tenant_id: str) -> None:
    """A tenant's first job puts it in the claim line, at the front (turn 0).

    A line row is never deleted, so each pooled connection remembers the tenants it found
    already in line (a conflict: the row is committed) and intake then pays nothing more; one
    it has just inserted is not remembered, since this transaction may still roll back."""
    seen = session.connection().info.setdefault("claim_line", set())
    if tenant_id in seen:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _IN_LINE:
        build = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
        _IN_LINE[dialect] = (build(ClaimTurn.__table__).values(tenant_id=bindparam("tenant_id"), turn=0)
                             .on_conflict_do_nothing(index_elements=["tenant_id"])
                             .returning(ClaimTurn.__table__.c.tenant_id))
    if session.execute(_IN_LINE[dialect], {"tenant_id": tenant_id}).first() is None:
        seen.add(tenant_id)


_IN_LINE: dict = {}


def served(session: Session, tenant_id: str) -> None:
    """Move ``tenant_id`` to the back of the line. Two PostgreSQL workers may draw the same
    number; a tie only falls back to first come, first served between those two tenants."""
    dialect = session.get_bind().dialect.name
    if dialect not in _SERVED:
        build = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
        turns = ClaimTurn.__table__
        upsert = build(turns).values(tenant_id=bindparam("tenant_id"), turn=select(
            func.coalesce(func.max(turns.c.turn), 0) + 1).scalar_subquery())
        _SERVED[dialect] = upsert.on_conflict_do_update(index_elements=["tenant_id"],
                                                         set_={"turn": upsert.excluded.turn})
    session.execute(_SERVED[dialect], {"tenant_id": tenant_id})


_SERVED: dict = {}
