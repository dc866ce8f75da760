"""One dated HubSpot task per promise of the action plan, with the stage tasks' idempotency.

A task recorded in the ledger (``hubspot.promise_task.<promise id>``) is never created again;
on a retry the contact's tasks are searched by natural key first. Results are paired with
promises by objectWriteTraceId or the key in the body, never by position.
"""
import html
import logging
from collections.abc import Sequence
from datetime import timezone

from connector.domain.promises import hubspot_owner_hint
from connector.ports.errors import RetryableError
from connector.ports.keys import HUBSPOT_PROMISE_TASK, promise_key, promise_natural_key, task_keys_in
from connector.ports.snapshots import CaseSnapshot, EffectLedger, PromiseSnapshot
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input, rejected
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.lookups import Lookups
from connector.providers.hubspot.mapping import HubSpotMapping
from connector.providers.hubspot.properties import TASK_TO_CONTACT, hs_datetime, task_priority

log = logging.getLogger(__name__)
SUBJECT_MAX = 250  # a readable subject; the whole promise is in the body


def promise_task(case: CaseSnapshot, promise: PromiseSnapshot, contact_id: str, mapping: HubSpotMapping,
                 owner_id: str | None) -> Input:
    """The batch-create input of one promise's task, due when the promise is."""
    key = promise_natural_key(case.case_id, promise.promise_id)
    body = [f"Promise made on the action-plan call: {promise.what}", f"Who: {promise.who}",
            f"By {promise.due_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC", f"Recovery ref: {key}"]
    props = {
        "hs_timestamp": hs_datetime(promise.due_at),
        "hs_task_subject": f"Promise: {promise.what}"[:SUBJECT_MAX],
        "hs_task_body": "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in body),
        "hs_task_type": "TODO",
        "hs_task_priority": task_priority(case, mapping),
        "hs_task_status": "COMPLETED" if promise.status == "kept" else "NOT_STARTED",
    }
    if owner_id:
        props["hubspot_owner_id"] = owner_id
    return {"properties": props, "objectWriteTraceId": key,
            "associations": [{"to": {"id": str(contact_id)}, "types": [dict(TASK_TO_CONTACT)]}]}


class PromiseTaskWrites:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping, lookups: Lookups):
        self.client = client
        self.mapping = mapping
        self.lookups = lookups

    def _owner(self, case: CaseSnapshot, promise: PromiseSnapshot) -> str | None:
        """The promise's own owner when HubSpot knows them, else the case's routed owner."""
        hint = hubspot_owner_hint(promise.who)
        return (self.lookups.owner_id(hint) if hint else None) or self.lookups.owner_id(case.hubspot_owner or case.owner)

    def create(self, case: CaseSnapshot, contact_id: str, promises: Sequence[PromiseSnapshot],
               ledger: EffectLedger, first_attempt: bool, limit: int) -> dict[int, str]:
        """Promise id -> task id for every promise; each recorded in the ledger the moment it exists."""
        have = {p.promise_id: task_id for p in promises
                if (task_id := ledger.get(promise_key(HUBSPOT_PROMISE_TASK, p.promise_id)))}
        by_trace = {promise_natural_key(case.case_id, p.promise_id): p for p in promises if p.promise_id not in have}
        if by_trace and not first_attempt:
            for promise_id, task_id in self.lookups.tasks_by_key(
                    contact_id, {k: p.promise_id for k, p in by_trace.items()}).items():
                ledger.record(promise_key(HUBSPOT_PROMISE_TASK, promise_id), task_id)
                have[promise_id] = task_id
            by_trace = {k: p for k, p in by_trace.items() if p.promise_id not in have}
        inputs = [promise_task(case, p, contact_id, self.mapping, self._owner(case, p)) for p in by_trace.values()]

        def send(chunk: list[Input]) -> ByTrace:
            response = self.client.call("task batch create", self.client.tasks_batch.create, {"inputs": chunk})
            outcome, wanted = rejected(response), {i["objectWriteTraceId"] for i in chunk}
            for task in response.results or []:
                keys = {task.object_write_trace_id} | task_keys_in((task.properties or {}).get("hs_task_body"))
                trace = next((k for k in keys if k in wanted), None)
                if trace and trace not in outcome:
                    outcome[trace] = task.id
                    ledger.record(promise_key(HUBSPOT_PROMISE_TASK, by_trace[trace].promise_id), task.id)
            return outcome

        run = ChunkRun(inputs, limit)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        errors = [result for result in run.outcomes.values() if isinstance(result, Exception)]
        if errors:
            raise errors[0]  # the others are in the ledger: the retry creates only what failed
        have.update({by_trace[trace].promise_id: result for trace, result in run.outcomes.items()})
        lost = [p.promise_id for p in promises if p.promise_id not in have]
        if lost:
            raise RetryableError(f"HubSpot task batch create: no result for promises {lost}")
        log.info("hubspot case=%s: %d promise tasks", case.case_id, len(have))
        return have
