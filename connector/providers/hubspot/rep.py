"""The account's rep told first: a heads-up task when a case opens, a note when it closes.

The rep is the contact's own HubSpot owner (``hubspot_owner_id``): as the case's contact write
saw it moments before (``hubspot.contact_owner`` in the ledger: its name read asks it too, and a
contact that write made has none), else read for a whole chunk of cases in one
``contacts/batch/read`` (a retry, or a contact written without a read). A contact without one
sends the heads-up to the routing owner instead (``fallback``). Same idempotency as the stage tasks: the ledger
(``hubspot.rep_task``, ``hubspot.rep_note``), and on a retry the contact's tasks searched for
the natural key ``recovery-<case>-rep`` (a pseudo-stage: completing it completes no stage),
its notes for ``Ref: recovery-<case>-closed``. Tasks and notes go in batch creates.
"""
import html
import logging
from collections.abc import Sequence

from connector.ports.batches import Outcomes, RepTold, RepWrite
from connector.ports.errors import RetryableError, SyncError
from connector.ports.keys import (
    HUBSPOT_CONTACT_OWNER,
    HUBSPOT_REP_NOTE,
    HUBSPOT_REP_OWNER,
    HUBSPOT_REP_TASK,
    REP_TASK,
    rep_note_reference,
    task_natural_key,
)
from connector.ports.snapshots import CaseSnapshot
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input, rejected
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.lookups import Lookups
from connector.providers.hubspot.notes import NOTE_TO_CONTACT
from connector.providers.hubspot.properties import TASK_TO_CONTACT, hs_datetime
from connector.providers.hubspot.rep_text import closing_note_text, heads_up_lines, who
from connector.providers.ledgers import read_together, record_together

log = logging.getLogger(__name__)
FALLBACK = ";fallback"


def heads_up_input(case: CaseSnapshot, contact_id: str, owner_id: str | None, fallback: bool) -> Input:
    """The batch-create input of the heads-up task (pure: the exact JSON HubSpot receives)."""
    key = task_natural_key(case.case_id, REP_TASK)
    body = [*heads_up_lines(case, fallback), f"Recovery ref: {key}"]
    due = min((s.due_at for s in case.stages), default=case.answer.submitted_at)
    props = {"hs_timestamp": hs_datetime(due), "hs_task_type": "TODO", "hs_task_priority": "HIGH",
             "hs_task_subject": f"Heads-up: recovery case on {who(case)}"[:250],
             "hs_task_body": "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in body),
             "hs_task_status": "NOT_STARTED"}
    if owner_id:
        props["hubspot_owner_id"] = owner_id
    return {"properties": props, "objectWriteTraceId": key,
            "associations": [{"to": {"id": str(contact_id)}, "types": [dict(TASK_TO_CONTACT)]}]}


def _owner_entry(owner_id: str | None, fallback: bool) -> str:
    return (owner_id or "") + (FALLBACK if fallback else "")


def _told(task_id: str, entry: str | None) -> RepTold:
    entry = entry or ""
    owner = entry.removesuffix(FALLBACK)
    return RepTold(task_id, owner or None, entry.endswith(FALLBACK))


class RepWrites:
    def __init__(self, client: HubSpotClient, lookups: Lookups):
        self.client = client
        self.lookups = lookups

    def contact_owners(self, contact_ids: Sequence[str]) -> dict[str, str | None]:
        """``hubspot_owner_id`` of each contact, in one batch read per 100 contacts (none: no call)."""
        owners: dict[str, str | None] = {}
        unique = list(dict.fromkeys(contact_ids))
        for start in range(0, len(unique), 100):
            response = self.client.call(
                "contact batch read", self.client.contacts_batch.read,
                {"inputs": [{"id": c} for c in unique[start:start + 100]], "properties": ["hubspot_owner_id"]})
            for contact in response.results or []:
                owners[str(contact.id)] = (contact.properties or {}).get("hubspot_owner_id") or None
        return owners

    def tell_reps(self, writes: Sequence[RepWrite], limit: int) -> Outcomes[RepTold]:
        """The heads-up task of each case, once: {key: who was told, or the error}."""
        out: Outcomes[RepTold] = {}
        pending: list[RepWrite] = []
        owners: dict[str, str | None] = {}  # contact id -> its owner (None: none)
        keys = [HUBSPOT_REP_TASK, HUBSPOT_REP_OWNER, HUBSPOT_CONTACT_OWNER]
        for write, known in zip(writes, read_together([w.ledger for w in writes], keys), strict=True):
            if known.get(HUBSPOT_REP_TASK):
                out[write.key] = _told(known[HUBSPOT_REP_TASK], known.get(HUBSPOT_REP_OWNER))
                continue
            pending.append(write)
            if write.first_attempt and HUBSPOT_CONTACT_OWNER in known:  # seen by the contact write, moments ago
                owners[str(write.contact_id)] = known[HUBSPOT_CONTACT_OWNER] or None
        if not pending:
            return out
        try:  # a retry, or a contact written without a read: its owner now
            owners.update(self.contact_owners([w.contact_id for w in pending if str(w.contact_id) not in owners]))
        except SyncError as exc:
            return {**out, **{w.key: exc for w in pending}}
        inputs: list[Input] = []
        by_trace: dict[str, tuple[RepWrite, str | None, bool]] = {}
        for write in pending:
            key = task_natural_key(write.case.case_id, REP_TASK)
            rep = owners.get(str(write.contact_id))
            try:
                owner_id = rep or self.lookups.owner_id(write.case.hubspot_owner or write.case.owner)
                found = None if write.first_attempt else self.lookups.tasks_by_key(write.contact_id, {key: key}).get(key)
            except SyncError as exc:
                out[write.key] = exc
                continue
            by_trace[key] = (write, owner_id, rep is None)
            if found:
                record_together([(write.ledger, HUBSPOT_REP_OWNER, _owner_entry(owner_id, rep is None)),
                                 (write.ledger, HUBSPOT_REP_TASK, found)])
                out[write.key] = RepTold(found, owner_id, rep is None)
                continue
            inputs.append(heads_up_input(write.case, write.contact_id, owner_id, rep is None))

        def send(chunk: list[Input]) -> ByTrace:
            # The task quotes the customer: kept out of any error text, as the case note's writer does.
            secrets = [v for i in chunk for v in (by_trace[i["objectWriteTraceId"]][0].case.answer.customer_email,
                                                  by_trace[i["objectWriteTraceId"]][0].case.answer.comment)]
            response = self.client.call("task batch create", self.client.tasks_batch.create, {"inputs": chunk},
                                        sensitive=tuple(v for v in secrets if v))
            outcome, entries = rejected(response), []
            for task in response.results or []:
                trace = task.object_write_trace_id
                if trace in by_trace and trace not in outcome:
                    write, owner_id, fallback = by_trace[trace]
                    entries += [(write.ledger, HUBSPOT_REP_OWNER, _owner_entry(owner_id, fallback)),
                                (write.ledger, HUBSPOT_REP_TASK, task.id)]
                    outcome[trace] = RepTold(task.id, owner_id, fallback)
            record_together(entries)
            log.info("hubspot created %d rep heads-up tasks in one call", len(response.results or []))
            return outcome

        run = ChunkRun(inputs, limit)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        for trace, result in run.outcomes.items():
            out[by_trace[trace][0].key] = result
        for write in writes:
            out.setdefault(write.key, RetryableError("HubSpot task batch create: no result for the heads-up"))
        return out

    def add_rep_notes(self, writes: Sequence[RepWrite], limit: int) -> Outcomes[str]:
        """The rep's note that each case closed, once: {key: note id or the error}."""
        out: Outcomes[str] = {}
        inputs: list[Input] = []
        by_trace: dict[str, RepWrite] = {}
        for write, known in zip(writes, read_together([w.ledger for w in writes], [HUBSPOT_REP_NOTE]), strict=True):
            case, recorded = write.case, known.get(HUBSPOT_REP_NOTE)
            try:
                found = recorded or (None if write.first_attempt else
                                     self.lookups.note(write.contact_id, rep_note_reference(case.case_id)))
            except SyncError as exc:
                out[write.key] = exc
                continue
            if found:
                if not recorded:
                    write.ledger.record(HUBSPOT_REP_NOTE, found)
                out[write.key] = found
                continue
            trace = f"recovery-{case.case_id}-closed"
            props = {"hs_timestamp": hs_datetime(write.at or case.answer.submitted_at),
                     "hs_note_body": closing_note_text(case)}
            if write.owner_id:
                props["hubspot_owner_id"] = write.owner_id
            inputs.append({"properties": props, "objectWriteTraceId": trace, "associations": [
                {"to": {"id": str(write.contact_id)},
                 "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT}]}]})
            by_trace[trace] = write

        def send(chunk: list[Input]) -> ByTrace:
            response = self.client.call("note batch create", self.client.notes_batch.create, {"inputs": chunk})
            outcome, entries = rejected(response), []
            for note in response.results or []:
                trace = note.object_write_trace_id
                if trace in by_trace and trace not in outcome:
                    entries.append((by_trace[trace].ledger, HUBSPOT_REP_NOTE, note.id))
                    outcome[trace] = note.id
            record_together(entries)
            return outcome

        run = ChunkRun(inputs, limit)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        for trace, result in run.outcomes.items():
            out[by_trace[trace].key] = result
        for write in writes:
            out.setdefault(write.key, RetryableError("HubSpot note batch create: no result for the rep's note"))
        return out
