"""What the connector left in the stand-ins, counted by the markers it writes: one module for
the campaign benchmark (bench/campaign.py) and the fault suite (tests/e2e/campaign_support.py).

The HubSpot property names come from the connector's mapping (``mappings/hubspot.json``),
the stage keys from the REACT protocol: nothing here re-declares them.
"""
from collections import Counter
from functools import lru_cache

from connector.domain.react import STAGE_KEYS
from connector.ports.keys import NOTE_REFERENCE_PATTERN, TASK_KEY_PATTERN, external_id_pattern, ticket_external_id
from connector.providers.hubspot.mapping import load_hubspot_mapping

TASK_KEY = TASK_KEY_PATTERN            # in a task's body: its case and stage
NOTE_KEY = NOTE_REFERENCE_PATTERN      # in the case's note
EXTERNAL_ID = external_id_pattern(followups=False)  # a ticket's external_id: its case
# Contact properties the benchmark checks, by logical key (the mapping names them in HubSpot).
CONTACT_FACTS = ("nps_last_score", "csat_last_score", "recovery_incident_open", "recovery_zendesk_ticket_url")


@lru_cache(maxsize=1)
def _contact_property_names() -> dict[str, str]:
    """Logical key -> HubSpot name, as the connector's default mapping writes them."""
    mapping = load_hubspot_mapping()
    return {key: mapping.name(key) for key in CONTACT_FACTS}


def standin_records(zendesk, hubspot) -> dict:
    """Tickets by external_id, contacts by e-mail (each a dict of ``CONTACT_FACTS``), tasks by
    (case, stage), notes by case: all Counters but contacts. Takes each stand-in's lock."""
    names = _contact_property_names()
    with zendesk.lock:
        tickets = Counter(t["external_id"] for t in zendesk.tickets.values())
    with hubspot.lock:
        contacts: dict[str, list[dict]] = {}
        for record in hubspot.contacts.values():
            props = record["properties"]
            contacts.setdefault((props.get("email") or "").lower(), []).append(
                {key: props.get(name) for key, name in names.items()})
        tasks = Counter((int(case), stage) for t in hubspot.tasks.values()
                        for case, stage in set(TASK_KEY.findall(t["properties"].get("hs_task_body") or "")))
        notes = Counter(int(case) for n in hubspot.notes.values()
                        for case in set(NOTE_KEY.findall(n["properties"].get("hs_note_body") or "")))
    return {"tickets": tickets, "contacts": contacts, "tasks": tasks, "notes": notes}


def _score_property(answer) -> str:
    """A CSAT answer lands on ``csat_last_score``, an NPS one on ``nps_last_score``."""
    return "csat_last_score" if answer.survey == "csat" else "nps_last_score"


def verify_standins(summary: dict, campaign: list, case_of: dict[int, int]) -> dict:
    """Duplicates and completeness, read from the stand-ins' own state (``summary`` holds
    ``standin_records``); ``campaign``: the answers sent (``index``, ``email``, ``score``)."""
    case_ids = set(case_of.values())
    tickets = summary["tickets"]
    per_case_tickets = Counter(tickets.get(ticket_external_id(c), 0) for c in case_ids)
    # A systemic issue's problem ticket (recovery-systemic-<id>) is no stray: the causes feature makes it.
    problems = sum(n for ext, n in tickets.items() if ext and ext.startswith("recovery-systemic-"))
    stray_tickets = sum(n for ext, n in tickets.items()
                        if not (ext and EXTERNAL_ID.match(ext) and int(EXTERNAL_ID.match(ext)[1]) in case_ids)) - problems
    contacts = summary["contacts"]
    per_email = Counter(len(contacts.get(a.email, [])) for a in campaign)
    stray_contacts = sum(len(v) for e, v in contacts.items() if e not in {a.email for a in campaign})
    stale_score = sum(1 for a in campaign for c in contacts.get(a.email, [])
                      if c.get(_score_property(a)) in (None, "") or float(c[_score_property(a)]) != a.score)
    detractor_emails = [a.email for a in campaign if a.index in case_of]
    flag_missing = sum(1 for e in detractor_emails
                       if not any(str(c.get("recovery_incident_open")).lower() == "true" for c in contacts.get(e, [])))
    url_missing = sum(1 for e in detractor_emails
                      if not any(c.get("recovery_zendesk_ticket_url") for c in contacts.get(e, [])))
    tasks = summary["tasks"]
    per_case_tasks = Counter(sum(tasks.get((c, k), 0) for k in STAGE_KEYS) for c in case_ids)
    per_stage = Counter(tasks.get((c, k), 0) for c in case_ids for k in STAGE_KEYS)
    notes = summary["notes"]
    per_case_notes = Counter(notes.get(c, 0) for c in case_ids)

    def hist(counter):
        return {str(k): v for k, v in sorted(counter.items())}

    ok = (set(per_case_tickets) <= {1} and set(per_email) <= {1} and set(per_case_tasks) <= {len(STAGE_KEYS)}
          and set(per_stage) <= {1} and stray_tickets == 0 and stray_contacts == 0)
    return {"exactly_1_1_8": ok,
            "tickets_per_case": hist(per_case_tickets), "stray_tickets": stray_tickets, "problem_tickets": problems,
            "contacts_per_email": hist(per_email), "stray_contacts": stray_contacts,
            "tasks_per_case": hist(per_case_tasks), "tasks_per_case_stage": hist(per_stage),
            "notes_per_case": hist(per_case_notes),
            "contacts_with_wrong_or_missing_score": stale_score,
            "detractor_contacts_without_incident_flag": flag_missing,
            "detractor_contacts_without_ticket_url": url_missing}
