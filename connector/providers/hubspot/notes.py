"""The rep's alert on each contact's timeline, once per case, for several cases per call.

Same idempotency as tasks: the ledger (``hubspot.case_note``), and on a retry the
contact's notes searched for the case's reference (``Ref: recovery-<id>-opened``).
"""
import html
import logging
from collections.abc import Sequence

from connector.ports.batches import CaseWrite, Outcomes
from connector.ports.errors import RetryableError, SyncError
from connector.ports.keys import HUBSPOT_NOTE, note_marker, note_reference
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input, rejected
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.lookups import Lookups
from connector.providers.hubspot.properties import hs_datetime
from connector.providers.ledgers import read_together, record_together

log = logging.getLogger(__name__)

NOTE_TO_CONTACT = 202  # HUBSPOT_DEFINED note -> contact


class NoteWrites:
    def __init__(self, client: HubSpotClient, lookups: Lookups):
        self.client = client
        self.lookups = lookups

    def add_case_notes(self, writes: Sequence[CaseWrite], limit: int) -> Outcomes[str]:
        """The rep's alert on each contact's timeline, once per case: {key: note id or error}."""
        out: Outcomes[str] = {}
        inputs: list[Input] = []
        by_trace: dict[str, CaseWrite] = {}
        for write, known in zip(writes, read_together([w.ledger for w in writes], [HUBSPOT_NOTE]), strict=True):
            case, recorded = write.case, known.get(HUBSPOT_NOTE)
            try:
                found = recorded or (None if write.first_attempt else
                                     self.lookups.note(write.contact_id, note_reference(case.case_id)))
                owner_id = None if found else self.lookups.owner_id(case.hubspot_owner or case.owner)
            except SyncError as exc:
                out[write.key] = exc
                continue
            if found:
                if not recorded:
                    write.ledger.record(HUBSPOT_NOTE, found)
                out[write.key] = found
                continue
            marker = note_marker(case.case_id)
            body = html.escape(write.text).replace("\n", "<br>") + f"<br>{note_reference(case.case_id)}"
            props = {"hs_timestamp": hs_datetime(case.answer.submitted_at), "hs_note_body": body}
            if owner_id:
                props["hubspot_owner_id"] = owner_id
            inputs.append({"properties": props, "objectWriteTraceId": marker, "associations": [
                {"to": {"id": str(write.contact_id)},
                 "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT}]}]})
            by_trace[marker] = write

        def send(chunk: list[Input]) -> ByTrace:
            secrets = [v for i in chunk for v in (by_trace[i["objectWriteTraceId"]].case.answer.customer_email,
                                                  by_trace[i["objectWriteTraceId"]].case.answer.comment)]
            response = self.client.call("note batch create", self.client.notes_batch.create, {"inputs": chunk},
                                        sensitive=tuple(secrets))
            outcome, entries = rejected(response), []
            for note in response.results or []:
                trace = note.object_write_trace_id
                if trace in by_trace and trace not in outcome:
                    entries.append((by_trace[trace].ledger, HUBSPOT_NOTE, note.id))
                    outcome[trace] = note.id
            record_together(entries)  # one write for the whole batch's notes
            log.info("hubspot created %d case notes in one call", len(response.results or []))
            return outcome

        run = ChunkRun(inputs, limit)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        for trace, result in run.outcomes.items():
            out[by_trace[trace].key] = result
        for write in writes:
            out.setdefault(write.key, RetryableError("HubSpot note batch create: no result for this note"))
        return out
