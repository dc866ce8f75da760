"""Every REACT stage's task of several cases in few HubSpot calls.

Idempotency is the single-case rule, per case: a task recorded in the ledger
(``hubspot.task.<stage>``) is never created again; on a retry the contact's tasks are
searched by natural key first. Results are paired with inputs by objectWriteTraceId (the
natural key) or the key in the task body, never by position: HubSpot does not promise
the order.
"""
import logging
from collections.abc import Sequence

from connector.ports.batches import CaseWrite, Outcomes
from connector.ports.errors import RetryableError, SyncError
from connector.ports.keys import hubspot_task_key, stage_of_task_key, task_keys_in, task_natural_key
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input, rejected
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.lookups import Lookups
from connector.providers.hubspot.mapping import HubSpotMapping
from connector.providers.hubspot.properties import stage_tasks
from connector.providers.ledgers import read_together, record_together

log = logging.getLogger(__name__)

StageTasks = dict[str, str]  # stage key -> task id


class TaskWrites:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping, lookups: Lookups):
        self.client = client
        self.mapping = mapping
        self.lookups = lookups

    def create_case_tasks(self, writes: Sequence[CaseWrite], limit: int) -> Outcomes[StageTasks]:
        """Every stage's task of every case; {key: {stage: task id}} or the case's error."""
        done: dict[int, StageTasks] = {}
        errors: dict[int, Exception] = {}
        inputs: list[Input] = []
        keys = sorted({hubspot_task_key(s.key) for w in writes for s in w.case.stages})
        recorded = read_together([w.ledger for w in writes], keys)
        for write, known in zip(writes, recorded, strict=True):
            case, ledger = write.case, write.ledger
            have = {stage: v for k, v in known.items() if (stage := stage_of_task_key(k))}
            owner_id = None
            try:
                if len(have) < len(case.stages) and not write.first_attempt:
                    found = {k: v for k, v in self.lookups.stage_tasks(case, write.contact_id).items()
                             if k not in have}
                    record_together([(ledger, hubspot_task_key(k), v) for k, v in found.items()])
                    have.update(found)
                missing = [s for s in case.stages if s.key not in have]
                if missing:
                    owner_id = self.lookups.owner_id(case.hubspot_owner or case.owner)
            except SyncError as exc:
                errors[write.key] = exc
                continue
            done[write.key] = have
            wanted = {task_natural_key(case.case_id, s.key) for s in missing}
            inputs += [i for i in stage_tasks(case, write.contact_id, self.mapping, owner_id)
                       if i["objectWriteTraceId"] in wanted]
        stage_of = {task_natural_key(w.case.case_id, s.key): (w, s.key) for w in writes for s in w.case.stages}

        def send(chunk: list[Input]) -> ByTrace:
            response = self.client.call("task batch create", self.client.tasks_batch.create, {"inputs": chunk})
            outcome, entries = rejected(response), []
            wanted = {i["objectWriteTraceId"] for i in chunk}
            for task in response.results or []:
                keys = {task.object_write_trace_id} | task_keys_in((task.properties or {}).get("hs_task_body"))
                trace = next((k for k in keys if k in wanted), None)
                if trace and trace not in outcome:
                    outcome[trace] = task.id
                    write, stage_key = stage_of[trace]
                    entries.append((write.ledger, hubspot_task_key(stage_key), task.id))
            record_together(entries)
            log.info("hubspot created %d tasks for %d cases in one call", len(entries),
                     len({id(ledger) for ledger, _, _ in entries}))
            return outcome

        run = ChunkRun(inputs, limit)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        for trace, result in run.outcomes.items():
            write, stage_key = stage_of[trace]
            if isinstance(result, Exception):
                errors.setdefault(write.key, result)
            else:
                done[write.key][stage_key] = result
        out: Outcomes[StageTasks] = {}
        for write in writes:
            if write.key in errors:
                out[write.key] = errors[write.key]
                continue
            lost = [s.key for s in write.case.stages if s.key not in done[write.key]]
            out[write.key] = RetryableError(f"HubSpot task batch create: no result for stages {', '.join(lost)}") \
                if lost else {s.key: done[write.key][s.key] for s in write.case.stages}
        return out
