"""Pure translation of snapshots into HubSpot property values and task inputs.

No I/O here: everything is a function of the snapshots and the mapping, so the
exact JSON HubSpot receives can be tested without a server.
"""
import html
from datetime import datetime, timezone

from connector.domain.react import stage_label as protocol_label
from connector.domain.text import one_line
from connector.ports.keys import task_natural_key
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, StageSnapshot
from connector.providers.hubspot.mapping import CAUSE_PROPERTY, TASK_PRIORITIES, HubSpotMapping

TASK_TO_CONTACT = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}
MAX_TEXT = 65536  # HubSpot's limit for a string property value


def hs_datetime(moment: datetime) -> str:
    """A datetime the way HubSpot writes them: ISO 8601, UTC, milliseconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("datetimes sent to HubSpot must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _last_answer(answer: AnswerSnapshot, mapping: HubSpotMapping) -> dict[str, str]:
    """``nps_last_*`` for an NPS answer, ``csat_last_*`` for a CSAT one."""
    prefix = "csat" if answer.survey_type == "csat" else "nps"
    name = mapping.name
    return {
        name(f"{prefix}_last_score"): str(answer.score),
        name(f"{prefix}_last_category"): answer.category,
        name(f"{prefix}_last_response_at"): hs_datetime(answer.submitted_at),
        name(f"{prefix}_last_comment"): (answer.comment or "")[:MAX_TEXT],
    }


def contact_properties(answer: AnswerSnapshot, case: CaseSnapshot | None, mapping: HubSpotMapping,
                       ticket_url: str | None = None) -> dict[str, str]:
    """Contact property values (HubSpot names) for an answer, and for its case if there is one.

    Without a case only the last-answer properties are written, so a promoter's or
    passive's answer never touches the recovery fields. Empty strings clear a
    value in HubSpot (e.g. the next due date once every stage is done).
    """
    newest = {answer.survey_type: answer}
    for interim in case.latest_answers if case is not None else ():
        if interim.survey_type not in newest or interim.submitted_at > newest[interim.survey_type].submitted_at:
            newest[interim.survey_type] = interim  # came after: it is the contact's last answer of its type
    props: dict[str, str] = {}
    for last in newest.values():
        props.update(_last_answer(last, mapping))
    if case is None:
        return props
    name = mapping.name
    is_open = case.status == "open"
    upcoming = case.next_stage if is_open else None
    props.update({
        name("recovery_incident_open"): "true" if is_open else "false",
        name("recovery_profile"): case.profile or "",
        name("recovery_priority"): case.priority,
        name("recovery_stage"): upcoming.key if upcoming else "closed",
        name("recovery_next_due_at"): hs_datetime(upcoming.due_at) if upcoming else "",
        name("recovery_outcome"): case.outcome or "",
    })
    if CAUSE_PROPERTY in mapping.contact_properties:  # cleared ("") when the case has none
        props[CAUSE_PROPERTY] = case.cause or ""
    url = ticket_url or case.zendesk_ticket_url
    if url:
        props[name("recovery_zendesk_ticket_url")] = url
    return props


def stage_label(stage: StageSnapshot) -> str:
    return protocol_label(stage.key, stage.title)


def task_priority(case: CaseSnapshot, mapping: HubSpotMapping) -> str:
    if case.hubspot_priority in TASK_PRIORITIES:
        return case.hubspot_priority
    return mapping.task_priority.get(case.priority, "NONE")


def _customer(answer: AnswerSnapshot) -> str:
    return one_line(answer.customer_name) or one_line(answer.company) or "customer"


def _body(case: CaseSnapshot, stage: StageSnapshot, key: str) -> str:
    answer = case.answer
    scale = "10" if answer.survey_type == "nps" else "5"
    facts = [f"Score {answer.score}/{scale} ({answer.survey_type.upper()}, {case.severity} {answer.category})",
             f"priority {case.priority}"]
    if case.profile:
        facts.append(f"profile {case.profile}")
    facts.append(f"due {stage.due_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC")
    paragraphs = [stage.ask, " · ".join(facts), f"Recovery ref: {key}"]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def stage_tasks(case: CaseSnapshot, contact_id: str, mapping: HubSpotMapping,
                owner_id: str | None) -> list[dict]:
    """One HubSpot batch-create input per REACT stage, associated with the contact.

    Each input carries its natural key twice: in the body (searchable later) and
    as ``objectWriteTraceId`` (echoed in the batch response, to pair results
    with stages without relying on their order).
    """
    priority = task_priority(case, mapping)
    inputs = []
    for stage in case.stages:
        key = task_natural_key(case.case_id, stage.key)
        props = {
            "hs_timestamp": hs_datetime(stage.due_at),
            "hs_task_subject": mapping.task_subject.format(stage=stage_label(stage),
                                                           customer=_customer(case.answer)),
            "hs_task_body": _body(case, stage, key),
            "hs_task_type": stage.task_type,
            "hs_task_priority": priority,
            "hs_task_status": "COMPLETED" if stage.status == "done" else "NOT_STARTED",
        }
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        inputs.append({
            "properties": props,
            "associations": [{"to": {"id": str(contact_id)}, "types": [dict(TASK_TO_CONTACT)]}],
            "objectWriteTraceId": key,
        })
    return inputs
