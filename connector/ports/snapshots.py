"""What the core hands a vendor adapter, and what it expects back.

Adapters get plain, frozen snapshots (never ORM objects) so they can be unit
tested without a database and cannot lazily load or mutate store state.
Every adapter method is idempotent given the same ledger: a retried job must
never create a second ticket, contact or task.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from connector.domain.react import stage_label


@dataclass(frozen=True)
class StageSnapshot:
    key: str             # contract key, e.g. "empathy"
    title: str           # "Empathy call"
    task_type: str       # CALL / EMAIL / TODO
    ask: str             # what the task asks
    due_at: datetime     # aware, UTC
    status: str          # pending / done / overdue
    completed_at: datetime | None = None

    @property
    def label(self) -> str:
        """What people read, as the HubSpot tasks say it: ``Tracking (day 7)``."""
        return stage_label(self.key, self.title)


@dataclass(frozen=True)
class PromiseSnapshot:
    """One promise of the action plan."""
    promise_id: int
    what: str
    who: str             # the owner's e-mail or name
    due_at: datetime     # aware, UTC
    status: str          # pending / kept / overdue


@dataclass(frozen=True)
class AnswerSnapshot:
    """One survey answer, as needed to update the contact's nps_* properties."""
    answer_id: int
    response_id: str
    customer_email: str
    customer_name: str | None
    company: str | None
    survey_type: str     # nps / csat
    score: int
    category: str        # promoter / passive / detractor
    comment: str | None
    locale: str | None
    submitted_at: datetime


@dataclass(frozen=True)
class SystemicMark:
    """The systemic issue a case belongs to, once its problem ticket is open: a recovery ticket
    opened after that carries the issue's tag and note from its creation (no update later)."""
    tag: str                 # systemic_<cause>
    note: str                # the member note (cases.systemic), in the ticket's first private comment
    problem_ticket_id: int


@dataclass(frozen=True)
class CaseSnapshot:
    case_id: int
    answer: AnswerSnapshot
    status: str                    # open / closed
    severity: str                  # critical / moderate
    profile: str | None            # disappointed / chronic / structural
    profile_signals: tuple[str, ...]
    value_tier: str                # critical / high / standard
    lifetime_value: float | None
    priority: str                  # Zendesk: urgent / high / normal / low
    hubspot_priority: str          # HIGH / MEDIUM / LOW
    owner: str | None              # routing result (email or id), may be None
    stages: tuple[StageSnapshot, ...]
    outcome: str | None = None
    zendesk_ticket_id: int | None = None
    hubspot_contact_id: str | None = None
    zendesk_ticket_url: str | None = None
    history: tuple[str, ...] = field(default_factory=tuple)  # earlier answers, readable lines
    owner_name: str | None = None
    zendesk_assignee_email: str | None = None
    zendesk_group_id: int | None = None
    hubspot_owner: str | None = None          # HubSpot owner id or email
    recognition_draft: str | None = None      # the acknowledgement, in the customer's language
    # The newest interim answer of each survey type, if any: the contact's last NPS / CSAT answer.
    latest_answers: tuple[AnswerSnapshot, ...] = ()
    churn_risk: bool = False                  # leaving for a same-category competitor (priority already raised)
    cause: str | None = None                  # root-cause key in force: the agent's, else the suggestion
    cause_words: tuple[str, ...] = ()         # the comment's words that suggested it
    systemic: SystemicMark | None = None      # its systemic issue, when the problem ticket is open

    @property
    def next_stage(self) -> StageSnapshot | None:
        open_stages = [s for s in self.stages if s.status != "done"]
        return min(open_stages, key=lambda s: s.due_at) if open_stages else None


@dataclass(frozen=True)
class ResurveyRequest:
    """What a survey tool is asked: survey this customer again at ``send_at``, carrying the case id
    so the answer comes back as the case's re-survey answer (``context.recovery_case_id``)."""
    case_id: int
    customer_email: str
    customer_name: str | None
    locale: str | None
    survey_type: str       # nps / csat: the case's own type, so the answer can close it
    question: str          # the open question on the recovery experience, in the customer's language
    requested_at: datetime  # aware, UTC: now
    send_at: datetime       # aware, UTC: the re-survey stage's due time (never before now)

    @property
    def delay_seconds(self) -> int:
        return max(int((self.send_at - self.requested_at).total_seconds()), 0)


@dataclass(frozen=True)
class OwnerTask:
    """A one-off task for the case's owner, beside the stage tasks (the closing task asking why a
    recovery failed): what it says, when it is due, and whether it is already done."""
    subject: str
    body: str
    due_at: datetime     # aware
    done: bool = False


class EffectLedger(Protocol):
    """Side effects already performed for one case, keyed by a stable name.

    ``record`` commits at once, so an effect survives a crash right after it.
    A crash *between* the vendor call and ``record`` is covered by the adapter
    looking the object up by its natural key when ``first_attempt`` is False.
    """

    def get(self, key: str) -> str | None: ...

    def record(self, key: str, external_id: str) -> None: ...
