"""Zendesk ticket events -> stage completions and follow-up tickets.

An agent marks a stage done by adding its done tag (``recovery_done_<stage>``
by default) to the recovery ticket, and changes the case's cause by picking another option of the
"Recovery cause" drop-down (its tag ``cause_<key>`` is added); solving or closing the ticket with stages
still ahead opens a follow-up ticket. Events for other tickets are ignored, except
``ticket.created``: any customer's new ticket counts toward the weak signal "three tickets in a
month" (``cases.signals``). Every ticket created, and every status change, also goes into the
tenant's ticket-history index (``cases.ticket_index``), recovery tickets included, as the history
search counted them.
"""
import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.cases.causes import record_cause
from connector.cases.context import CaseContext
from connector.cases.followup import request_followup
from connector.cases.signals import record_ticket_created
from connector.cases.systemic import problem_solved
from connector.cases.ticket_index import index_event_ticket, index_status_change
from connector.cases.transitions import complete_stage
from connector.domain.systemic import PROBLEM_EXTERNAL_ID
from connector.inbound.crm_events import STATUS_CHANGED, TAGS_CHANGED, TICKET_CREATED
from connector.ports.ticket_history import TicketRecord
from connector.ports.vendors import TicketMapping
from connector.store.db import transaction
from connector.store.models import Case

log = logging.getLogger(__name__)
CLOSING = {"solved", "closed"}
_PROBLEM_ID = re.compile(re.escape(PROBLEM_EXTERNAL_ID).replace(re.escape("{issue_id}"), r"([0-9]{1,12})"))


def _find_case(session: Session, mapping: TicketMapping | None, detail: dict[str, Any], tenant_id: str) -> Case | None:
    """The tenant's case of this ticket (ids are per Zendesk account: never another tenant's)."""
    case_id = mapping.case_id_of(detail.get("external_id")) if mapping else None
    if case_id is not None:
        case = session.get(Case, case_id)
        return case if case is not None and case.tenant_id == tenant_id else None
    return session.scalar(select(Case).where(Case.tenant_id == tenant_id, Case.zendesk_ticket_id == detail["id"]))


def handle(rt: CaseContext, event: dict[str, Any]) -> tuple[str, str | None]:
    """Apply one event; returns the delivery outcome and reason."""
    if event["type"] == TICKET_CREATED:
        return _ticket_created(rt, event["detail"])
    if event["type"] not in (TAGS_CHANGED, STATUS_CHANGED):
        return "ignored", f"event type {event['type'][:80]}"
    detail, change = event["detail"], event.get("event") or {}
    mapping = rt.zendesk.mapping if rt.zendesk else None
    status = change.get("current") or detail.get("status") or ""
    if event["type"] == STATUS_CHANGED and status:
        index_status_change(rt, detail["id"], status)
    issue_id = _issue_of(detail.get("external_id"))
    if issue_id is not None:
        return _problem_event(rt, event["type"], issue_id, status)
    with transaction(rt.sessions) as session:
        case = _find_case(session, mapping, detail, rt.tenant_id)
        if case is None:
            return "ignored", "not a recovery ticket"
        if event["type"] == TAGS_CHANGED:
            tags = set(detail["tags"]) | set(change["tags_added"])
            keys = {key for tag in tags if mapping and (key := mapping.stage_of_tag(tag)) is not None}
            done = [k for k in sorted(keys) if k in {s.key for s in case.stages}
                    and complete_stage(session, case, k, rt.clock(), source="zendesk")]
            cause = _cause_picked(mapping, change.get("tags_added") or [])
            changed = cause is not None and record_cause(session, case, cause, rt.clock(), source="zendesk")
            return "accepted", f"stages done: {', '.join(done) or 'none new'}" + (f"; cause: {cause}" if changed else "")
        if status.lower() in CLOSING and request_followup(session, case, detail["id"]):
            return "accepted", "follow-up ticket requested"
        return "accepted", "no change"


def _issue_of(external_id: Any) -> int | None:
    """The systemic issue a problem ticket stands for (``recovery-systemic-<id>``), if it is one."""
    found = _PROBLEM_ID.fullmatch(external_id) if isinstance(external_id, str) else None
    return int(found.group(1)) if found else None


def _problem_event(rt: CaseContext, kind: str, issue_id: int, status: str) -> tuple[str, str | None]:
    if kind != STATUS_CHANGED or status.lower() not in CLOSING:
        return "accepted", "no change"
    with transaction(rt.sessions) as session:
        return "accepted", problem_solved(session, rt.tenant_id, issue_id, rt.clock())


def _cause_picked(mapping: TicketMapping | None, added: list[str]) -> str | None:
    """The cause an agent picked in the drop-down (Zendesk adds its option's tag), if any."""
    picked = [key for tag in added if mapping and (key := mapping.cause_of_tag(str(tag))) is not None]
    return picked[-1] if picked else None


def _ticket_created(rt: CaseContext, detail: dict[str, Any]) -> tuple[str, str | None]:
    """Any ticket a customer opens counts toward the weak signal, except the recovery tickets."""
    mapping = rt.zendesk.mapping if rt.zendesk else None
    index_event_ticket(rt, TicketRecord(detail["id"], detail["requester_id"], detail["created_at"],
                                        detail["created_at"], "new"))
    if mapping is not None and mapping.case_id_of(detail.get("external_id")) is not None:
        return "ignored", "a recovery ticket"
    return "accepted", record_ticket_created(rt, detail["id"], detail["requester_id"], detail["created_at"])
