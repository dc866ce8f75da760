"""Many answers' HubSpot writes in few calls: contacts, stage tasks, notes, ticket links.

Each method takes the work of several jobs (each item has a ``key``, the caller's job id)
and returns ``{key: result or exception}``, so one item's failure fails only its job.

* Up to ``limit`` inputs per call (HubSpot's batch limit is 100; 1 is the naive mode).
* Results are paired with inputs by ``objectWriteTraceId`` (tasks, notes, contacts) or
  record id (links), never by position: HubSpot does not promise the order.
* A whole-batch 4xx is HubSpot refusing one bad input for everyone (upserts and untraced
  creates are all or nothing): the chunk is split in halves until the poison input is
  alone, so it fails alone and the others land. Traced creates answer 207 instead, naming
  each rejected input. A retryable error (429, 5xx, our own pacing) stops the run: every
  input not yet sent fails with it and comes back later, nothing is sent into a wall.
* Except a 5xx on an idempotent call (contact upsert, links): one input HubSpot chokes on
  would otherwise drag every answer batched with it through each of its retries. The chunk
  is sent again in halves, level by level, only failing parts split further, until the
  poison input fails alone (about 2·log2(n) calls); when every part of a level of 4 or more
  fails it is an outage and the run stops as above (1 + 2 + 4 = 7 calls into the wall).
* HubSpot refuses the same contact twice in one upsert, so writes for one e-mail become
  one input: the newest answer's (what the contact should show), its id shared by all.
* Idempotency is the single-case rules, per case: the ledger, and on a retry the natural
  key search before anything new is created (see ``adapter``).
"""
import logging
from dataclasses import dataclass

from connector.ports.errors import PermanentError, RetryableError, SyncError
from connector.ports.keys import hubspot_task_key, stage_of_task_key, task_keys_in, task_natural_key
from connector.infra.slices import in_slices
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, EffectLedger
from connector.providers.ledgers import read_together, record_together
from connector.providers.hubspot.properties import contact_properties, stage_tasks

log = logging.getLogger(__name__)

NOTE_TO_CONTACT = 202  # HUBSPOT_DEFINED note -> contact
NO_SPLIT = {401, 403}  # the token, not an input: splitting would only repeat the refusal


@dataclass(frozen=True)
class ContactWrite:
    key: object
    answer: AnswerSnapshot
    case: CaseSnapshot | None = None
    ticket_url: str | None = None


@dataclass(frozen=True)
class CaseWrite:
    """Tasks or the note of one case. ``first_attempt``: no earlier try can have half-landed."""
    key: object
    case: CaseSnapshot
    contact_id: str
    ledger: EffectLedger
    first_attempt: bool
    text: str = ""  # the note's text


def in_chunks(inputs: list, limit: int, send, *, idempotent: bool = False) -> dict:
    """``send(chunk)`` -> {trace: result or exception}; returns that for every input's trace."""
    outcomes, pending = {}, in_slices(inputs, limit)
    while pending:
        chunk = pending.pop(0)
        try:
            outcomes.update(send(chunk))
        except PermanentError as exc:
            if len(chunk) > 1 and exc.status not in NO_SPLIT:
                half = len(chunk) // 2
                pending[:0] = [chunk[:half], chunk[half:]]
                log.info("hubspot batch of %d refused as a whole: sending it in halves", len(chunk))
                continue
            outcomes.update(_failed(chunk, exc))
        except SyncError as exc:
            wall = exc
            if idempotent and len(chunk) > 1 and _server_error(exc):
                wall = _isolate(chunk, exc, send, outcomes)
            if wall is None:
                continue
            for rest in [chunk, *pending]:
                outcomes.update({i["objectWriteTraceId"]: wall for i in rest
                                 if i["objectWriteTraceId"] not in outcomes})
            break
    return outcomes


def _isolate(chunk: list, exc: SyncError, send, outcomes: dict) -> SyncError | None:
    """Narrow a chunk that failed with a 5xx down to its failing inputs, level by level of
    halves, adding every outcome to ``outcomes``. Returns the error that should stop the run:
    a 429 or pacing on the way, or a wall (every part of a level of 4 or more failed)."""
    failing = [(chunk, exc)]
    log.info("hubspot batch of %d failed with a 5xx: narrowing it down to the failing inputs", len(chunk))
    while failing:
        parts = []
        for part, error in failing:
            if len(part) == 1:
                outcomes.update(_failed(part, error))
            else:
                parts += [part[:len(part) // 2], part[len(part) // 2:]]
        failing = []
        for part in parts:
            try:
                outcomes.update(send(part))
            except SyncError as error:
                if not _server_error(error):
                    return error
                failing.append((part, error))
        if parts and len(failing) == len(parts) >= 4:
            return failing[-1][1]
    return None


def _server_error(exc: SyncError) -> bool:
    return (exc.status or 0) >= 500


def _failed(chunk: list, exc: Exception) -> dict:
    return {i["objectWriteTraceId"]: exc for i in chunk}


def rejected(response) -> dict:
    """A 207's per-input errors, by the objectWriteTraceId HubSpot names in their context."""
    out = {}
    for error in getattr(response, "errors", None) or []:
        message = f"HubSpot refused this input: {error.category or 'error'}"
        for trace in (error.context or {}).get("objectWriteTraceId", []):
            out[trace] = PermanentError(message)
    return out


class BatchWrites:
    """Mixed into ``HubSpotAdapter``: needs ``client``, ``mapping``, ``ensure_schema``,
    ``resolve_owner`` and ``_find_tasks``. Links and notes: ``batch_notes``."""

    def upsert_contacts(self, writes: list[ContactWrite], limit: int) -> dict:
        """Contact id (or the error) per write; one input per e-mail, the newest answer's."""
        self.ensure_schema()
        newest: dict[str, ContactWrite] = {}
        for write in writes:
            email = write.answer.customer_email.lower()
            held = newest.get(email)
            if held is None or (write.answer.submitted_at, write.answer.answer_id) > \
                    (held.answer.submitted_at, held.answer.answer_id):
                newest[email] = write
        trace_of = {email: f"contact-{n}" for n, email in enumerate(newest)}  # no e-mail in trace ids
        inputs = [{"idProperty": "email", "id": w.answer.customer_email, "objectWriteTraceId": trace_of[email],
                   "properties": contact_properties(w.answer, w.case, self.mapping, w.ticket_url)}
                  for email, w in newest.items()]

        def send(chunk):
            secrets = [v for w in chunk for v in (w["id"], w["properties"].get(
                self.mapping.name("nps_last_comment")))]
            response = self.client.call("contact upsert", self.client.contacts_batch.upsert,
                                        {"inputs": chunk}, sensitive=tuple(secrets))
            found = {}
            for contact in response.results or []:
                email = ((contact.properties or {}).get("email") or "").lower()
                found[contact.object_write_trace_id or trace_of.get(email)] = contact.id
            log.info("hubspot upserted %d contacts in one call", len(found))
            return {i["objectWriteTraceId"]: found.get(i["objectWriteTraceId"]) or
                    RetryableError("HubSpot contact upsert: no result for this contact") for i in chunk}

        by_trace = in_chunks(inputs, limit, send, idempotent=True)  # an upsert by e-mail
        return {w.key: by_trace[trace_of[w.answer.customer_email.lower()]] for w in writes}

    def create_case_tasks(self, writes: list[CaseWrite], limit: int) -> dict:
        """Every stage's task of every case; {key: {stage: task id}} or the case's error."""
        done, owners, errors, inputs = {}, {}, {}, []
        keys = sorted({hubspot_task_key(s.key) for w in writes for s in w.case.stages})
        recorded = read_together([w.ledger for w in writes], keys)
        for write, known in zip(writes, recorded):
            case, ledger = write.case, write.ledger
            have = {stage_of_task_key(k): v for k, v in known.items()}
            try:
                if len(have) < len(case.stages) and not write.first_attempt:
                    found = {k: v for k, v in self._find_tasks(case, write.contact_id).items() if k not in have}
                    record_together([(ledger, hubspot_task_key(k), v) for k, v in found.items()])
                    have.update(found)
                missing = [s for s in case.stages if s.key not in have]
                if missing:
                    owners[write.key] = self.resolve_owner(case.hubspot_owner or case.owner)
            except SyncError as exc:
                errors[write.key] = exc
                continue
            done[write.key] = have
            wanted = {task_natural_key(case.case_id, s.key) for s in missing}
            inputs += [i for i in stage_tasks(case, write.contact_id, self.mapping, owners.get(write.key))
                       if i["objectWriteTraceId"] in wanted]
        stage_of = {task_natural_key(w.case.case_id, s.key): (w, s.key) for w in writes for s in w.case.stages}

        def send(chunk):
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

        for trace, result in in_chunks(inputs, limit, send).items():
            write, stage_key = stage_of[trace]
            if isinstance(result, Exception):
                errors.setdefault(write.key, result)
            else:
                done[write.key][stage_key] = result
        out = {}
        for write in writes:
            if write.key in errors:
                out[write.key] = errors[write.key]
                continue
            lost = [s.key for s in write.case.stages if s.key not in done[write.key]]
            out[write.key] = RetryableError(f"HubSpot task batch create: no result for stages {', '.join(lost)}") \
                if lost else {s.key: done[write.key][s.key] for s in write.case.stages}
        return out
