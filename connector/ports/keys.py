"""Every name an effect of a case is known by, spelled once.

Ledger keys are how a retried job knows an effect already happened; natural keys are
what the vendor holds, so an adapter can find the effect again after a crash lost the
ledger write. Both outlive any release: renaming one orphans every effect recorded
under the old name, and a retry would then create a second ticket, task or note.
"""
import re
from datetime import date

# -- the ledger scope of a case (SideEffect.scope) ---------------------------------------
_SCOPE = "case:"


def ledger_scope(case_id: int) -> str:
    return f"{_SCOPE}{case_id}"


def case_id_of_scope(scope: str | None) -> int | None:
    """The case a ledger scope belongs to; None for any other scope."""
    if not scope or not scope.startswith(_SCOPE):
        return None
    return int(scope[len(_SCOPE):])


# -- ledger keys: "<vendor>.<effect>", a trailing dot where a stage or number follows ---
ZENDESK_TICKET = "zendesk.ticket"               # the recovery ticket's id
ZENDESK_TICKET_JOB = "zendesk.ticket_job"       # "<bulk job id>:<index>" until the ticket id is known
ZENDESK_PROBLEM = "zendesk.problem"             # (scope "systemic:<issue>") the problem ticket's id
ZENDESK_REPLY = "zendesk.reply"                 # the public acknowledgement was sent
ZENDESK_SYSTEMIC_TAG = "zendesk.systemic_tag"   # "<problem ticket id>": the ticket has its issue's tag and note
ZENDESK_FOLLOWUP = "zendesk.followup."          # + follow-up number: that follow-up ticket's id
ZENDESK_FOLLOWUP_FOR = "zendesk.followup_for."  # + closed ticket id: the follow-up that replaced it
ZENDESK_DONE = "zendesk.done."                  # + stage: its done tag and note are on the ticket
ZENDESK_INTERIM = "zendesk.interim."            # + answer id: that interim answer's note is on the ticket
ZENDESK_OVERDUE = "zendesk.overdue."            # + stage: the escalation note is on the ticket
HUBSPOT_TASK = "hubspot.task."                  # + stage: that stage's task id
HUBSPOT_DONE = "hubspot.done."                  # + stage: that task was completed
HUBSPOT_OVERDUE = "hubspot.overdue."            # + stage (read only: the contact update is idempotent)
HUBSPOT_NOTE = "hubspot.case_note"              # the rep's note on the contact timeline
HUBSPOT_CLOSING_TASK = "hubspot.closing_task"   # the owner's task asking why a recovery failed
HUBSPOT_REP_TASK = "hubspot.rep_task"           # the heads-up task of the contact's own owner (the rep)
HUBSPOT_REP_OWNER = "hubspot.rep_owner"         # "<owner id>" (or "" when none) + ";fallback" if not the rep's
HUBSPOT_CONTACT_OWNER = "hubspot.contact_owner"  # the contact's owner as the case's contact write saw it ("" none)
HUBSPOT_REP_NOTE = "hubspot.rep_note"           # the rep's note that the case closed, with its outcome
CHAT_NEW_CASE = "chat.new_case"                 # the new-case alert was posted
CHAT_OVERDUE = "chat.overdue."                  # + stage: the overdue alert was posted
# Promises of the action plan, by promise id (promises.id), never by position in a list.
HUBSPOT_PROMISE_TASK = "hubspot.promise_task."   # + promise id: that promise's task id
HUBSPOT_PROMISE_DONE = "hubspot.promise_done."   # + promise id: its task was completed
ZENDESK_PROMISE = "zendesk.promise."             # + promise id: its line is on the ticket's note
ZENDESK_PROMISE_OVERDUE = "zendesk.promise_overdue."  # + promise id: the escalation note is on the ticket
CHAT_PROMISE_OVERDUE = "chat.promise_overdue."   # + promise id: the overdue alert was posted
ZENDESK_PRIORITY_TAG = "zendesk.priority_tag."  # + user tag: it was added to the requester (user id)
ZENDESK_PRIORITY_UNTAG = "zendesk.priority_untag."  # + user tag: it was removed again (user id)
PRIORITY_SUPPORT_TAG = "priority_support_until_{date}"  # the user tag, date YYYY-MM-DD
SURVEY_RESURVEY = "survey.resurvey"             # "<channel>:<reference>": the survey tool was asked to re-survey


def followup_key(number: int) -> str:
    return f"{ZENDESK_FOLLOWUP}{number}"


def followup_for_key(closed_ticket_id: int | str | None) -> str:
    return f"{ZENDESK_FOLLOWUP_FOR}{closed_ticket_id}"


def zendesk_interim_key(answer_id: int) -> str:
    return f"{ZENDESK_INTERIM}{answer_id}"


def zendesk_done_key(stage: str) -> str:
    return ZENDESK_DONE + stage


def zendesk_overdue_key(stage: str) -> str:
    return ZENDESK_OVERDUE + stage


def hubspot_task_key(stage: str) -> str:
    return HUBSPOT_TASK + stage


def stage_of_task_key(key: str) -> str | None:
    """The stage a ``hubspot.task.<stage>`` ledger key names; None for any other key."""
    return key[len(HUBSPOT_TASK):] if key.startswith(HUBSPOT_TASK) else None


def hubspot_done_key(stage: str) -> str:
    return HUBSPOT_DONE + stage


def chat_overdue_key(stage: str) -> str:
    return CHAT_OVERDUE + stage


def promise_key(prefix: str, promise_id: int) -> str:
    """``prefix`` one of the ``*PROMISE*`` ledger prefixes above."""
    return f"{prefix}{promise_id}"


def priority_tag_key(tag: str) -> str:
    return ZENDESK_PRIORITY_TAG + tag


def priority_untag_key(tag: str) -> str:
    return ZENDESK_PRIORITY_UNTAG + tag


def priority_support_tag(until: date) -> str:
    """What the customer's Zendesk user carries while priority support lasts (views, triggers, SLAs)."""
    return PRIORITY_SUPPORT_TAG.format(date=until.isoformat())


# -- natural keys: what the vendors hold -----------------------------------------------
_RECOVERY = "recovery-"
TICKET_EXTERNAL_ID = _RECOVERY + "{case_id}"  # the Zendesk mapping's default external_id template
FOLLOWUP_SUFFIX = "-followup-"              # + number, after the recovery ticket's external id


def ticket_external_id(case_id: int, template: str = TICKET_EXTERNAL_ID) -> str:
    return template.format(case_id=case_id)


def followup_external_id(case_id: int, number: int, template: str = TICKET_EXTERNAL_ID) -> str:
    return f"{ticket_external_id(case_id, template)}{FOLLOWUP_SUFFIX}{number}"


def external_id_pattern(template: str = TICKET_EXTERNAL_ID, *, followups: bool = True) -> re.Pattern[str]:
    """Matches a whole external id of ``template`` (and of its follow-ups), the case id as group 1."""
    prefix, _, suffix = template.partition("{case_id}")
    tail = f"(?:{re.escape(FOLLOWUP_SUFFIX)}\\d+)?" if followups else ""
    return re.compile(f"^{re.escape(prefix)}(\\d+){re.escape(suffix)}{tail}$")


def case_id_of(external_id: str | None, template: str = TICKET_EXTERNAL_ID) -> int | None:
    """The case a recovery ticket (or one of its follow-ups) belongs to."""
    match = external_id_pattern(template).fullmatch(external_id) if external_id else None
    return int(match.group(1)) if match else None


def task_natural_key(case_id: int, stage: str) -> str:
    """Written into a stage task's body (and its objectWriteTraceId), searched on retries."""
    return f"{_RECOVERY}{case_id}-{stage}"


PROMISE_STAGE_PREFIX = "promise_"


def promise_natural_key(case_id: int, promise_id: int) -> str:
    """A promise task's key (body and objectWriteTraceId); the task key pattern reads it as the
    pseudo-stage ``promise_<id>``, which names no stage, so no stage completion follows from it."""
    return task_natural_key(case_id, f"{PROMISE_STAGE_PREFIX}{promise_id}")

# Case id and stage of every task key in a text; no word character or dash on either side,
# so ``recovery-42-empathy`` is not found inside ``recovery-420-empathy``.
TASK_KEY_PATTERN = re.compile(rf"(?<![\w-]){_RECOVERY}(\d+)-([a-z0-9_]+)(?![\w-])")


def task_keys_in(text: str | None) -> set[str]:
    """Task natural keys found in a task body (HubSpot may have turned it into HTML)."""
    return {match.group(0) for match in TASK_KEY_PATTERN.finditer(text or "")}


CLOSING_TASK = "closing"  # the closing task's natural key: task_natural_key(case_id, CLOSING_TASK)
REP_TASK = "rep"          # the rep's heads-up: task_natural_key(case_id, REP_TASK); names no stage


def rep_note_reference(case_id: int) -> str:
    """Ends the rep's closing note; searched for on a retry (``recovery-<id>-closed``)."""
    return f"Ref: {_RECOVERY}{case_id}-closed"


def note_marker(case_id: int) -> str:
    """The case note's objectWriteTraceId; its body ends with ``note_reference``."""
    return f"{_RECOVERY}{case_id}-opened"


def note_reference(case_id: int) -> str:
    return f"Ref: {note_marker(case_id)}"


# The person property (Delighted) or context field (generic webhook) that carries the case id out
# with the re-survey request and back with its answer (``context.recovery_case_id``).
RESURVEY_CASE_PROPERTY = "recovery_case_id"


def resurvey_message_id(case_id: int) -> str:
    """The outbound webhook's ``webhook-id``: the same on every retry, so a receiver dedupes it."""
    return f"{_RECOVERY}{case_id}-resurvey"


NOTE_REFERENCE_PATTERN = re.compile(rf"Ref: {_RECOVERY}(\d+)-opened")  # the case id as group 1
