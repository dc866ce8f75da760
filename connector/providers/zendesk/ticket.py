"""Pure functions: a case snapshot in, the Zendesk ticket body out.

No I/O here, so the exact ticket an agent will see is unit tested on its own.
The first comment is a PRIVATE note (``public: false``): the customer's words,
history and the plan are for the team, never mailed back to the customer.
"""
import re
from datetime import datetime, timezone

from connector.domain.text import one_line, quoted
from connector.ports.snapshots import CaseSnapshot
from connector.providers.zendesk.mapping import ZendeskMapping, placeholders

_SCALE = {"nps": 10, "csat": 5}
_TAG_UNSAFE = re.compile(r"[\s,]+")

ACKNOWLEDGEMENT = {
    "en": ("Hello{name},\n\n"
           "Thank you for taking the time to tell us about your experience, and I am sorry we "
           "let you down. I am {owner} and I am personally taking charge of your feedback. "
           "I will call you within 24 hours to understand what happened and to agree with you "
           "on how we put it right.\n\n"
           "Kind regards,\n{owner}"),
    "fr": ("Bonjour{name},\n\n"
           "Merci d'avoir pris le temps de nous faire part de votre expérience, et toutes nos "
           "excuses de ne pas avoir été à la hauteur. Je suis {owner} et je prends "
           "personnellement en charge votre retour. Je vous appellerai dans les 24 heures "
           "pour comprendre ce qui s'est passé et convenir avec vous de la façon d'y remédier."
           "\n\nBien cordialement,\n{owner}"),
}
_OWNER_PLACEHOLDER = {"en": "[your name]", "fr": "[votre nom]"}


def iso_z(moment: datetime) -> str:
    """Zendesk's ISO-8601 UTC form, e.g. ``2026-11-20T21:37:00Z``."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def template_values(case: CaseSnapshot) -> dict[str, object]:
    answer = case.answer
    return {
        "case_id": case.case_id,
        "customer_name": one_line(answer.customer_name) or answer.customer_email.split("@", 1)[0],
        "company": one_line(answer.company),
        "survey_type": answer.survey_type,
        "score": answer.score,
        "category": answer.category,
        "severity": case.severity,
        "profile": case.profile,
        "value_tier": case.value_tier,
        "priority": case.priority,
    }


def render_tags(templates, values: dict) -> list[str]:
    """Render tag templates; a tag whose placeholder has no value is left out."""
    tags: list[str] = []
    for template in templates:
        names = placeholders(template)
        if any(values.get(name) is None for name in names):
            continue
        rendered = {name: _TAG_UNSAFE.sub("_", str(values[name])) for name in names}
        tag = template.format(**rendered).lower()
        if tag not in tags:
            tags.append(tag)
    return tags


def external_id(case: CaseSnapshot, mapping: ZendeskMapping) -> str:
    return mapping.ticket_external_id(case.case_id)


def locale_of(case: CaseSnapshot) -> str:
    locale = (case.answer.locale or "").lower()
    return "fr" if locale.startswith("fr") else "en"


def owner_display_name(owner: str) -> str:
    """``jane.doe@acme.com`` -> ``Jane Doe``; anything else unchanged."""
    if "@" not in owner:
        return owner
    parts = re.split(r"[._+-]+", owner.split("@", 1)[0])
    return " ".join(p.capitalize() for p in parts if p) or owner


def acknowledgement_draft(case: CaseSnapshot) -> str:
    """The recognition message, in the customer's language, naming the owner."""
    lang = locale_of(case)
    name = one_line(case.answer.customer_name)
    return ACKNOWLEDGEMENT[lang].format(
        name=f" {name}" if name else "",
        owner=owner_display_name(case.owner) if case.owner else _OWNER_PLACEHOLDER[lang],
    )


def _cause_line(case: CaseSnapshot) -> str:
    """The cause in force; the words that suggested it, when it is still the suggestion."""
    if case.cause is None:
        return "Cause: none suggested (set the Recovery cause field)"
    words = ", ".join(f'"{one_line(word)}"' for word in case.cause_words)
    return f"Cause: {case.cause}" + (f" (suggested from {words}; change the Recovery cause field if wrong)"
                                     if words else "")


def private_note(case: CaseSnapshot) -> str:
    answer = case.answer
    scale = _SCALE.get(answer.survey_type)
    score = f"{answer.score}/{scale}" if scale else str(answer.score)
    value = f"{case.value_tier} tier"
    if case.lifetime_value is not None:
        value += f" (lifetime value {case.lifetime_value:,.0f})"
    lines = [
        f"Recovery case #{case.case_id}. Private note, not visible to the customer.",
        "",
        f"Answer: {answer.survey_type.upper()} {score} ({answer.category}, severity "
        f"{case.severity}), answered {_utc_text(answer.submitted_at)}",
        f"Value: {value}. Priority: {case.priority}.",
        f"Owner: {case.owner_name or case.owner or 'not routed yet'}",
        "",
        "Customer's words (verbatim):",
        *quoted(answer.comment or "(no comment)"),
        "",
        "History:",
        *([f"- {line}" for line in case.history] or ["- no earlier answers on record"]),
        "",
        _cause_line(case),
        "",
        f"Profile: {case.profile or 'not determined'}",
        "Signals:",
        *([f"- {signal}" for signal in case.profile_signals] or ["- none"]),
        "",
        "Plan (REACT protocol):",
    ]
    for number, stage in enumerate(case.stages, start=1):
        lines.append(f"{number}. {stage.label} due {_utc_text(stage.due_at)} "
                     f"({stage.status})")
        lines.append(f"   {stage.ask}")
    lines += ["", f"Acknowledgement draft ({locale_of(case)}), to send personally:", "",
              case.recognition_draft or acknowledgement_draft(case)]
    return "\n".join(lines)


def _first_note(case: CaseSnapshot) -> str:
    """The private note; a case already in a systemic issue gets the issue's member note with it."""
    return f"{private_note(case)}\n\n{case.systemic.note}" if case.systemic else private_note(case)


def build_ticket(case: CaseSnapshot, mapping: ZendeskMapping) -> dict:
    """The ``ticket`` object of ``POST /api/v2/tickets``."""
    values = template_values(case)
    subject_values = {k: ("" if v is None else v) for k, v in values.items()}
    answer = case.answer
    ticket = {
        "subject": " ".join(mapping.subject.format(**subject_values).split()),
        "comment": {"body": _first_note(case), "public": False},
        "requester": {"name": values["customer_name"], "email": answer.customer_email},
        "priority": mapping.priorities[case.priority],
        "type": mapping.ticket_type,
        "tags": render_tags(mapping.tags, values) + ([mapping.churn_risk_tag.lower()] if case.churn_risk else [])
        + ([mapping.cause_tag(case.cause)] if case.cause else []) + ([case.systemic.tag] if case.systemic else []),
        "external_id": external_id(case, mapping),
    }
    if case.zendesk_assignee_email:  # the routed senior owner, never the junior queue
        ticket["assignee_email"] = case.zendesk_assignee_email
    if case.zendesk_group_id is not None:
        ticket["group_id"] = case.zendesk_group_id
    next_stage = case.next_stage
    if mapping.ticket_type == "task" and next_stage is not None:
        ticket["due_at"] = iso_z(next_stage.due_at)
    return ticket


def ticket_url(base_url: str, ticket_id: int) -> str:
    """The agent-facing URL, e.g. ``https://acme.zendesk.com/agent/tickets/42``."""
    return f"{base_url.rstrip('/')}/agent/tickets/{ticket_id}"
