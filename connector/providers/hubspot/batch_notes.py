"""Ticket links and case notes of several cases in few HubSpot calls (see ``batch``)."""
import html
import logging

from connector.ports.errors import RetryableError, SyncError
from connector.ports.keys import HUBSPOT_NOTE, note_marker, note_reference
from connector.providers.ledgers import read_together, record_together
from connector.providers.hubspot.batch import NOTE_TO_CONTACT, CaseWrite, in_chunks, rejected
from connector.providers.hubspot.properties import hs_datetime

log = logging.getLogger(__name__)


class LinkAndNoteWrites:
    """Mixed into ``HubSpotAdapter`` beside ``BatchWrites``."""

    def set_ticket_urls(self, links: list[tuple], limit: int) -> dict:
        """``links``: (key, contact id, ticket URL, order); per contact the highest order wins."""
        self.ensure_schema()
        name, newest = self.mapping.name("recovery_zendesk_ticket_url"), {}
        for link in links:
            if link[1] not in newest or link[3] > newest[link[1]][3]:
                newest[link[1]] = link
        inputs = [{"id": str(contact_id), "objectWriteTraceId": str(contact_id), "properties": {name: url}}
                  for contact_id, (_, _, url, _) in newest.items()]

        def send(chunk):
            response = self.client.call("contact batch update", self.client.contacts_batch.update, {"inputs": chunk})
            found = {str(c.id) for c in response.results or []}
            log.info("hubspot set the ticket link on %d contacts in one call", len(found))
            return {i["id"]: None if i["id"] in found else
                    RetryableError("HubSpot contact batch update: no result for this contact") for i in chunk}

        by_contact = in_chunks(inputs, limit, send, idempotent=True)  # setting a property again is harmless
        return {key: by_contact[str(contact_id)] for key, contact_id, _, _ in links}

    def add_case_notes(self, writes: list[CaseWrite], limit: int) -> dict:
        """The rep's alert on each contact's timeline, once per case: {key: note id or error}."""
        out, inputs, by_trace = {}, [], {}
        for write, known in zip(writes, read_together([w.ledger for w in writes], [HUBSPOT_NOTE])):
            case, recorded = write.case, known.get(HUBSPOT_NOTE)
            try:
                found = recorded or (None if write.first_attempt else
                                     self._find_note(write.contact_id, note_reference(case.case_id)))
                owner_id = None if found else self.resolve_owner(case.hubspot_owner or case.owner)
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

        def send(chunk):
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

        for trace, result in in_chunks(inputs, limit, send).items():
            out[by_trace[trace].key] = result
        for write in writes:
            out.setdefault(write.key, RetryableError("HubSpot note batch create: no result for this note"))
        return out
