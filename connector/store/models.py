"""Tables: answers, cases, stages, jobs and recorded side effects.

Every row carries ``tenant_id`` so several connected accounts can share one
deployment; the single-account configuration is tenant ``default``.
"""
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.store.base import Base, UTCDateTime, utcnow


class Answer(Base):
    __tablename__ = "answers"
    # The interim answers only: nearly every answer has none, and indexing its NULL made every
    # webhook's commit write one more index page (on SQLite, a WAL frame and its share of the fsync).
    # The answers the worker has yet to feed (``cases.feeding``: a few, for milliseconds after their
    # 202): the intake's outbox, found in one probe of an index that holds only them.
    __table_args__ = (UniqueConstraint("tenant_id", "response_id", name="uq_answer_response"),
                      Index("ix_answers_interim_case_id", "interim_case_id",
                            sqlite_where=text("interim_case_id IS NOT NULL"),
                            postgresql_where=text("interim_case_id IS NOT NULL")),
                      Index("ix_answers_unfed", "id", sqlite_where=text("fed_at IS NULL"),
                            postgresql_where=text("fed_at IS NULL")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), default="default")
    response_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    survey_type: Mapped[str] = mapped_column(String(8))
    survey_id: Mapped[str | None] = mapped_column(String(200))
    survey_name: Mapped[str | None] = mapped_column(String(200))
    survey_kind: Mapped[str | None] = mapped_column(String(50))  # relational / transactional, as sent
    score: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(16))
    customer_email: Mapped[str] = mapped_column(String(320), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    lifetime_value: Mapped[float | None] = mapped_column(Float)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    answer_body: Mapped[dict] = mapped_column(JSON)  # what we answered, replayed to duplicates
    # An answer that came while the customer's case was open and did not close it (too early, or
    # of the other survey type): kept on that case, which stays open.
    interim_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The delivery that brought it (``webhook-id`` or the vendor's event id): its delivery-log row
    # is written from the answer by the worker, which sets ``fed_at`` when it has queued the
    # answer's job and written that row (``cases.feeding``). NULL: the 202 is all there is so far.
    delivery_id: Mapped[str | None] = mapped_column(String(200))
    fed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Case(Base):
    __tablename__ = "cases"
    # The cases in a systemic issue only: a case opens in none, and indexing its NULL made every
    # detractor's intake commit write one more index page (as the answers' interim index).
    # The cases whose plan has yet to run (``cases.planning``: a few, for milliseconds after their
    # 202): the screens and the admin API plan them before they read.
    __table_args__ = (Index("ix_cases_systemic_issue_id", "systemic_issue_id",
                            sqlite_where=text("systemic_issue_id IS NOT NULL"),
                            postgresql_where=text("systemic_issue_id IS NOT NULL")),
                      Index("ix_cases_unplanned", "tenant_id",
                            sqlite_where=text("planned_at IS NULL"), postgresql_where=text("planned_at IS NULL")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), default="default")
    status: Mapped[str] = mapped_column(String(8), default="open")
    customer_email: Mapped[str] = mapped_column(String(320), index=True)
    opening_answer_id: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    profile: Mapped[str | None] = mapped_column(String(16))
    profile_signals: Mapped[list] = mapped_column(JSON, default=list)
    # Leaving for a same-category competitor (a profile signal): the case is one priority level up.
    churn_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    value_tier: Mapped[str] = mapped_column(String(16))
    lifetime_value: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(8))
    owner: Mapped[str | None] = mapped_column(String(320))  # routed owner's email
    owner_name: Mapped[str | None] = mapped_column(String(200))
    zendesk_assignee_email: Mapped[str | None] = mapped_column(String(320))
    zendesk_group_id: Mapped[int | None] = mapped_column(Integer)
    hubspot_owner: Mapped[str | None] = mapped_column(String(320))
    zendesk_ticket_id: Mapped[int | None] = mapped_column(Integer)
    hubspot_contact_id: Mapped[str | None] = mapped_column(String(64))
    zendesk_synced: Mapped[bool] = mapped_column(Boolean, default=False)
    hubspot_synced: Mapped[bool] = mapped_column(Boolean, default=False)
    hubspot_ticket_url_synced: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When its profile, cause and stages were written (``cases.planning``); None: not yet.
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_answer_id: Mapped[int | None] = mapped_column(Integer)
    previous_case_id: Mapped[int | None] = mapped_column(Integer)  # the customer's earlier case, if any
    base_priority: Mapped[str | None] = mapped_column(String(8))   # before escalations
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    # Why a partial/failed recovery failed, as its owner recorded it (a key of mappings/failure.json).
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failure_note: Mapped[str | None] = mapped_column(Text)
    failure_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who got the heads-up when the case opened: {hubspot_owner_id, told_at, fallback} (fallback:
    # the contact has no HubSpot owner, so the routing owner was told instead). None: not yet.
    rep: Mapped[dict | None] = mapped_column(JSON)
    # The holdout experiment (domain.holdout): the uniform draw, None when the case was not
    # eligible; ``holdout`` true when the draw held it out (only recognition and re-survey).
    holdout: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    holdout_draw: Mapped[float | None] = mapped_column(Float)
    # Root cause (domain.causes): the key suggested from the comment and the words that matched
    # (as the customer wrote them); ``cause`` the key an agent confirmed or changed, when and where
    # (``sidebar``, ``admin``, ``zendesk``). None: no suggestion, or not confirmed yet.
    cause_suggested: Mapped[str | None] = mapped_column(String(32))
    cause_words: Mapped[list | None] = mapped_column(JSON)
    cause: Mapped[str | None] = mapped_column(String(32))
    cause_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause_source: Mapped[str | None] = mapped_column(String(16))
    # The systemic issue the case belongs to (domain.systemic), None: none (yet).
    systemic_issue_id: Mapped[int | None] = mapped_column(Integer)

    @property
    def effective_cause(self) -> str | None:
        """The agent's cause, else the suggestion: what the vendors and the systemic count use."""
        return self.cause or self.cause_suggested

    @property
    def planned(self) -> bool:
        """Its profile, cause and stages are written (``cases.planning``)."""
        return self.planned_at is not None

    stages: Mapped[list["Stage"]] = relationship(order_by="Stage.due_at", back_populates="case",
                                                 cascade="all, delete-orphan")
    promises: Mapped[list["Promise"]] = relationship(order_by="Promise.due_at", viewonly=True)
    # Later answers that did not close the case (read where shown: the admin API).
    interim_answers: Mapped[list[Answer]] = relationship(foreign_keys=[Answer.interim_case_id],
                                                         order_by=Answer.submitted_at, viewonly=True)
    # The priority support a compensation granted, if any (read where shown: the admin API).
    priority_support: Mapped["PrioritySupport | None"] = relationship(viewonly=True, uselist=False)

    @property
    def sync_status(self) -> str:
        if self.sync_failed:
            return "failed"
        linked = self.hubspot_ticket_url_synced or not self.zendesk_ticket_id  # the contact shows the ticket
        return "synced" if self.zendesk_synced and self.hubspot_synced and linked else "pending"


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("case_id", "key", name="uq_stage_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    key: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict | None] = mapped_column(JSON)  # e.g. the compensation given

    case: Mapped[Case] = relationship(back_populates="stages")


class Promise(Base):
    """One promise of the action plan (what, who, by when): a dated HubSpot task, a line on the
    ticket's note, and a deadline the scan escalates once when it passes unkept."""

    __tablename__ = "promises"
    __table_args__ = (UniqueConstraint("case_id", "fingerprint", name="uq_promise"),
                      Index("ix_promises_due", "status", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    what: Mapped[str] = mapped_column(String(300))
    who: Mapped[str] = mapped_column(String(200))    # owner's e-mail or name
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending / kept / overdue
    fingerprint: Mapped[str] = mapped_column(String(40))  # the same promise twice is one row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kept_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # admin / sidebar


class PrioritySupport(Base):
    """The priority support a compensation granted: a tag on the customer's Zendesk user until
    ``expires_at``, when the scheduler removes it. One row per case (the latest record wins)."""

    __tablename__ = "priority_support"
    __table_args__ = (Index("ix_priority_support_expiry", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), default="default")
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the expiry counts from the first record
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tag: Mapped[str] = mapped_column(String(80))                # the tag the user should carry
    applied_tag: Mapped[str | None] = mapped_column(String(80))  # the tag the user carries now
    zendesk_user_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default="granting")  # granting/active/ending/ended


class Job(Base):
    __tablename__ = "jobs"
    # ix_jobs_turn: a tenant's oldest due job in one index seek (claims take turns across tenants).
    __table_args__ = (Index("ix_jobs_claim", "status", "run_at"),
                      Index("ix_jobs_turn", "tenant_id", "status", "run_at", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), default="default")
    kind: Mapped[str] = mapped_column(String(64))
    ref_id: Mapped[int] = mapped_column(Integer)  # a case or answer id: ids, never objects
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued/running/done/dead/cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClaimTurn(Base):
    """When each tenant last had a job claimed (a counter, not a clock): the queue serves the
    tenant whose turn is oldest first, so one tenant's backlog cannot hold up another's job."""

    __tablename__ = "claim_turns"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    turn: Mapped[int] = mapped_column(BigInteger)


class SideEffect(Base):
    """A call to a vendor that created something, so a retry does not create it twice."""

    __tablename__ = "side_effects"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_effect"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # e.g. "case:12"
    key: Mapped[str] = mapped_column(String(100))   # e.g. "zendesk.ticket"
    external_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One inbound webhook delivery and what became of it. No personal data:
    ids, statuses and the rejection reason only."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_received", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), default="default")
    source: Mapped[str] = mapped_column(String(32))         # generic, typeform, zendesk, hubspot, …
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))        # accepted, duplicate, rejected, ignored
    reason: Mapped[str | None] = mapped_column(String(300))  # why rejected or ignored
    delivery_id: Mapped[str | None] = mapped_column(String(200))  # webhook-id / event id
    response_id: Mapped[str | None] = mapped_column(String(200))  # the answer it stored or repeated


class RateBucket(Base):
    """A token bucket shared by every worker on every machine (see connector/ratelimit.py)."""

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # e.g. "default:hubspot"
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)



class BusinessHours(Base):
    """The tenant's Zendesk business-hours schedule, fetched by a periodic job (never during a
    webhook's transaction) for the call stages to follow when the admin turned that on."""

    __tablename__ = "business_hours"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    schedule: Mapped[dict | None] = mapped_column(JSON)  # {time_zone, intervals} as Zendesk gives it; None: none set
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignalAlert(Base):
    """A weak signal raised on a valuable contact: one row per (tenant, contact, signal, period), so
    however many workers see it, the alert goes out once per period (a conditional insert claims it)."""

    __tablename__ = "signal_alerts"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_email", "signal", "period",
                                       name="uq_signal_alerts_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_email: Mapped[str] = mapped_column(String(320))
    signal: Mapped[str] = mapped_column(String(16))   # domain.signals: tickets, score_drop
    period: Mapped[str] = mapped_column(String(10))   # first day of the period, ISO date
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    owner: Mapped[str | None] = mapped_column(String(320))  # who was alerted: the rep, else the routing owner
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # scores or ticket count, answer id, value tier


class SystemicIssue(Base):
    """Several cases with one cause within the window (domain.systemic): one per (tenant, cause,
    window start), so two workers deciding at once insert one row and the other joins it."""

    __tablename__ = "systemic_issues"
    __table_args__ = (UniqueConstraint("tenant_id", "cause", "window_start", name="uq_systemic_issue_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)  # the first case's opening
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    problem_ticket_id: Mapped[int | None] = mapped_column(Integer)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestClaim(Base):
    """The weekly digest of one owner: exactly one per (tenant, owner, ISO week), claimed by a
    conditional insert whichever worker's scan gets there first."""

    __tablename__ = "digest_claims"
    __table_args__ = (UniqueConstraint("tenant_id", "owner", "week", name="uq_digest_claims_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(320))
    week: Mapped[str] = mapped_column(String(8))      # ISO week, e.g. 2026-W49
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketCreation(Base):
    """A Zendesk ticket some requester opened (``ticket.created`` events): the weak signal "three
    tickets in a month" is counted from these rows, never from a search per answer."""

    __tablename__ = "ticket_creations"
    __table_args__ = (UniqueConstraint("tenant_id", "ticket_id", name="uq_ticket_creations_ticket"),
                      Index("ix_ticket_creations_requester", "tenant_id", "requester_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    requester_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactCompany(Base):
    """The HubSpot contact and company a customer (by e-mail) belongs to, as the connector found or
    made it: the account roll-up is computed from the answers and cases of a company's e-mails.
    ``found_at`` None: not looked up yet; ``company_id`` None once looked up: no company (free mail,
    or matching by domain turned off). ``created_by_upsert``: the connector's upsert made this
    contact (HubSpot's ``new``), so its look-up skips the association read; None: not known."""

    __tablename__ = "contact_companies"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_email: Mapped[str] = mapped_column(String(320), primary_key=True)
    contact_id: Mapped[str | None] = mapped_column(String(64))
    company_id: Mapped[str | None] = mapped_column(String(64), index=True)
    found_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_upsert: Mapped[bool | None] = mapped_column(Boolean)


class IndexedTicket(Base):
    """One Zendesk ticket of a tenant's local ticket-history index (issue 16): the requester's
    "tickets in the last 90 days" is counted from these rows, exactly and without an API call, once
    the tenant's index is backfilled (``TicketIndexState``). Filled by the incremental export and
    kept fresh by ``ticket.created`` events and the periodic pull."""

    __tablename__ = "ticket_index"
    __table_args__ = (Index("ix_ticket_index_requester", "tenant_id", "requester_id", "created_at"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    requester_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str | None] = mapped_column(String(16))  # "deleted" rows stay out of every count


class IndexedRequester(Base):
    """A Zendesk user id and its e-mail (side-loaded by the export, or read once for an event's new
    requester): a ticket names its requester by id, a survey answer by e-mail."""

    __tablename__ = "ticket_index_users"
    __table_args__ = (Index("ix_ticket_index_users_email", "tenant_id", "email"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    email: Mapped[str | None] = mapped_column(String(320))


class TicketIndexState(Base):
    """Where a tenant's export stands: the cursor to continue from, and when the index first
    reached the end of the stream (None: not backfilled, history lookups still search)."""

    __tablename__ = "ticket_index_state"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(512))
    backfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last page read
