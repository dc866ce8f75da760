"""A one-off task for a case's owner, beside the stage tasks: the closing task of a failed recovery.

Same idempotency as the stage tasks: the ledger (``hubspot.closing_task``), and on a retry the
contact's tasks searched for the natural key (``recovery-<case>-closing``) in their body. The
ledger key is not a ``hubspot.task.<stage>`` key, so completing this task in HubSpot completes
no stage.
"""
import html
import logging
from datetime import datetime

from connector.ports.errors import RetryableError
from connector.ports.keys import CLOSING_TASK, HUBSPOT_CLOSING_TASK, task_natural_key
from connector.ports.snapshots import CaseSnapshot, EffectLedger, OwnerTask
from connector.providers.hubspot.chunks import rejected
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.lookups import Lookups
from connector.providers.hubspot.properties import TASK_TO_CONTACT, hs_datetime

log = logging.getLogger(__name__)


def closing_task_input(case: CaseSnapshot, contact_id: str, task: OwnerTask, owner_id: str | None) -> dict:
    """The batch-create input of the closing task (pure: the exact JSON HubSpot receives)."""
    key = task_natural_key(case.case_id, CLOSING_TASK)
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in (task.body, f"Recovery ref: {key}"))
    props = {"hs_timestamp": hs_datetime(task.due_at), "hs_task_subject": task.subject, "hs_task_body": body,
             "hs_task_type": "TODO", "hs_task_priority": "MEDIUM",
             "hs_task_status": "COMPLETED" if task.done else "NOT_STARTED"}
    if owner_id:
        props["hubspot_owner_id"] = owner_id
    return {"properties": props, "objectWriteTraceId": key,
            "associations": [{"to": {"id": str(contact_id)}, "types": [dict(TASK_TO_CONTACT)]}]}


def owner_task_input(owner_id: str | None, subject: str, body: str, key: str, due_at: datetime,
                     contact_id: str | None) -> dict:
    """A task for one owner (a weak signal, the weekly digest): plain text made inert HTML, the key
    last so the task can be told apart (pure: the exact JSON HubSpot receives)."""
    html_body = "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in (*body.split("\n"), f"Ref: {key}"))
    props = {"hs_timestamp": hs_datetime(due_at), "hs_task_subject": subject[:250], "hs_task_body": html_body,
             "hs_task_type": "TODO", "hs_task_priority": "HIGH", "hs_task_status": "NOT_STARTED"}
    if owner_id:
        props["hubspot_owner_id"] = owner_id
    associations = [{"to": {"id": str(contact_id)}, "types": [dict(TASK_TO_CONTACT)]}] if contact_id else []
    return {"properties": props, "objectWriteTraceId": key, "associations": associations}


class OwnerTaskWrites:
    def __init__(self, client: HubSpotClient, lookups: Lookups):
        self.client = client
        self.lookups = lookups

    def create_closing_task(self, case: CaseSnapshot, contact_id: str, task: OwnerTask, ledger: EffectLedger,
                            first_attempt: bool) -> str:
        """The closing task's id, created once per case (found again after a lost ledger write)."""
        recorded = ledger.get(HUBSPOT_CLOSING_TASK)
        if recorded:
            return recorded
        key = task_natural_key(case.case_id, CLOSING_TASK)
        found = None if first_attempt else self.lookups.tasks_by_key(contact_id, {key: key}).get(key)
        if found:
            ledger.record(HUBSPOT_CLOSING_TASK, found)
            return found
        owner_id = self.lookups.owner_id(case.hubspot_owner or case.owner)
        response = self.client.call("task batch create", self.client.tasks_batch.create,
                                    {"inputs": [closing_task_input(case, contact_id, task, owner_id)]})
        failed = rejected(response).get(key)
        if isinstance(failed, Exception):
            raise failed
        task_id = next((t.id for t in response.results or [] if t.object_write_trace_id == key), None)
        if task_id is None:
            raise RetryableError("HubSpot task batch create: no result for the closing task")
        ledger.record(HUBSPOT_CLOSING_TASK, task_id)
        log.info("hubspot closing task %s created for case %s", task_id, case.case_id)
        return task_id

    def create_owner_task(self, owner: str | None, subject: str, body: str, key: str, due_at: datetime,
                          contact_id: str | None) -> str:
        """One task for an owner; the caller's ledger keeps it to one per key."""
        task = owner_task_input(self.lookups.owner_id(owner), subject, body, key, due_at, contact_id)
        response = self.client.call("task batch create", self.client.tasks_batch.create, {"inputs": [task]})
        failed = rejected(response).get(key)
        if isinstance(failed, Exception):
            raise failed
        task_id = next((t.id for t in response.results or [] if t.object_write_trace_id == key), None)
        if task_id is None:
            raise RetryableError("HubSpot task batch create: no result for the owner task")
        return str(task_id)
