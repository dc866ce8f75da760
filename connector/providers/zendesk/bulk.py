"""Recovery tickets of several cases in one Zendesk call: ``tickets/create_many``.

One ticket per case is the contract, so the single-ticket rules hold per case, in
four layers (a retry must never open a second ticket):

1. the ledger: ``zendesk.ticket`` recorded means no call at all;
2. ``zendesk.ticket_job`` (``<job id>:<index>``) is recorded for every case of a bulk
   request *before* its job is polled: a retry polls that job again instead of
   creating anything, and only if the job is gone or failed looks further;
3. on a retry (not ``first_attempt``) or after such a job, the ticket is looked up by
   ``external_id`` (``GET /api/v2/tickets?external_id=``, consistent, unlike search):
   this covers a crash between Zendesk's answer and the ledger write;
4. groups under five use the single create with ``Idempotency-Key`` (create_many has
   none, and a bulk job plus its polls would cost about as many calls and wait for the job:
   a lone answer, or a few, get their tickets at once).

create_many queues a job: its status is polled (``job_statuses/{id}``) with growing
waits until ``completed``, each result naming its ``index`` in the request and the new
ticket's ``id``, or an error for that ticket alone. A job still running at the deadline
hands the cases back (retryable): their next try polls the recorded job.
"""
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from zenpy import Zenpy

from connector.infra.slices import in_slices
from connector.ports.batches import Outcomes, TicketOpen
from connector.ports.errors import PermanentError, RetryableError, SyncError
from connector.ports.keys import ZENDESK_SYSTEMIC_TAG, ZENDESK_TICKET, ZENDESK_TICKET_JOB
from connector.ports.snapshots import EffectLedger
from connector.providers.ledgers import read_together, record_together
from connector.providers.zendesk import ticket as tickets
from connector.providers.zendesk.client import TIMEOUT_SECONDS, ZendeskPermanentError, safe_label, zendesk_errors
from connector.providers.zendesk.mapping import ZendeskMapping
from connector.providers.zendesk.writer import TicketWriter, zenpy_ticket

log = logging.getLogger(__name__)

MIN_BULK = 5          # fewer tickets go one by one (Idempotency-Key, no job to poll)
FIRST_POLL = 0.5      # seconds before the first look at a job; then doubling up to MAX_POLL
MAX_POLL = 5.0
POLL_DEADLINE = 60.0

BULK_LIMIT = 100      # tickets per create_many or update_many request (Zendesk's limit)
JobResults = dict[int, int]  # a finished bulk job: index in its request -> the new ticket's id


def _value(result: Any, key: str) -> Any:
    """A job result's field, whether zenpy made it an object or left it a dict."""
    return result.get(key) if isinstance(result, dict) else getattr(result, key, None)


def _created(item: TicketOpen, ticket_id: int) -> list[tuple[EffectLedger, str, str]]:
    """The ledger entries of a ticket this request made: its id and, when its body carried its
    systemic issue's tag and note, that (the issue's next update leaves it alone). Only a ticket
    made from this snapshot: one found again was made from an earlier one, maybe untagged."""
    entries = [(item.ledger, ZENDESK_TICKET, str(ticket_id))]
    if item.case.systemic is not None:
        entries.append((item.ledger, ZENDESK_SYSTEMIC_TAG, str(item.case.systemic.problem_ticket_id)))
    return entries


class BulkTickets:
    """Opens the recovery tickets of several cases; single creates go through ``writer``."""

    def __init__(self, client: Zenpy, mapping: ZendeskMapping, writer: TicketWriter, base_url: str = ""):
        self._client = client
        self._base_url = base_url  # for the endpoints zenpy has no API for (update_many by ids)
        self._mapping = mapping
        self._writer = writer
        # Polling waits only (a worker's, never the web path); tests replace them.
        self.sleep: Callable[[float], None] = time.sleep
        self.monotonic: Callable[[], float] = time.monotonic

    def open_tickets(self, items: Sequence[TicketOpen], limit: int) -> Outcomes[int]:
        """The recovery ticket of every case: {key: ticket id or the case's error}."""
        out: Outcomes[int] = {}
        todo: list[TicketOpen] = []
        jobs: dict[str, JobResults | None] = {}  # polled once per group, whichever case names it
        recorded = read_together([item.ledger for item in items], [ZENDESK_TICKET, ZENDESK_TICKET_JOB])
        for item, known in zip(items, recorded, strict=True):
            try:
                found = self._known_ticket(item, known, jobs)
            except SyncError as exc:
                out[item.key] = exc
                continue
            if found is None:
                todo.append(item)
            else:
                out[item.key] = found
        if len(todo) < MIN_BULK or limit < MIN_BULK:
            chunks = [[item] for item in todo]
        else:
            chunks = in_slices(todo, limit)
        for number, chunk in enumerate(chunks):
            try:
                out.update(self._create_one(chunk[0]) if len(chunk) == 1 else self._create_many(chunk))
            except SyncError as exc:
                if not exc.retryable:
                    out.update({item.key: exc for item in chunk})
                    continue
                for rest in chunks[number:]:  # 429 or outage: send nothing more into it
                    out.update({item.key: exc for item in rest})
                break
        return out

    def _known_ticket(self, item: TicketOpen, known: dict[str, str], jobs: dict[str, JobResults | None]) -> int | None:
        """``known``: the case's ledger entries (read for the whole group at once)."""
        if known.get(ZENDESK_TICKET) is not None:
            return int(known[ZENDESK_TICKET])
        pending = known.get(ZENDESK_TICKET_JOB)
        if pending is None and item.first_attempt:
            return None
        if pending is not None:
            job_id, index = pending.rsplit(":", 1)
            if job_id not in jobs:
                jobs[job_id] = self._job_results(job_id)
            ticket_id = (jobs[job_id] or {}).get(int(index))
            if ticket_id is not None:
                item.ledger.record(ZENDESK_TICKET, str(ticket_id))
                return ticket_id
        ticket_id = self._writer.find(tickets.external_id(item.case, self._mapping))
        if ticket_id is not None:
            log.info("case %s: found existing Zendesk ticket %s", item.case.case_id, ticket_id)
            item.ledger.record(ZENDESK_TICKET, str(ticket_id))
        return ticket_id

    def _job_results(self, job_id: str) -> JobResults | None:
        """{index: ticket id} of a finished job; None when it is gone; retryable while it runs."""
        try:
            with zendesk_errors("job status"):
                status = self._client.job_status(id=job_id)
        except ZendeskPermanentError as exc:
            if exc.status == 404:  # kept for a limited time only: fall back to the lookup
                return None
            raise
        if status.status in ("queued", "working"):
            raise RetryableError("Zendesk bulk ticket job still running", retry_after=2.0)
        return {r.index: r.id for r in status.results or [] if getattr(r, "id", None)
                and getattr(r, "index", None) is not None}

    def _create_one(self, item: TicketOpen) -> Outcomes[int]:
        ticket_id = self._writer.create(item.case.case_id, tickets.build_ticket(item.case, self._mapping))
        record_together(_created(item, ticket_id))
        return {item.key: ticket_id}

    def _create_many(self, chunk: list[TicketOpen]) -> Outcomes[int]:
        bodies = [tickets.build_ticket(item.case, self._mapping) for item in chunk]
        with zendesk_errors("ticket bulk create"):
            job = self._client.tickets.create([zenpy_ticket(b) for b in bodies])
        # Before anything else: a crash from now on re-polls this job, never re-creates.
        record_together([(item.ledger, ZENDESK_TICKET_JOB, f"{job.id}:{index}") for index, item in enumerate(chunk)])
        status = self._wait(job.id)
        results = {getattr(r, "index", None): r for r in status.results or []}
        out: Outcomes[int] = {}
        created: list[tuple[EffectLedger, str, str]] = []
        for index, item in enumerate(chunk):
            result = results.get(index)
            ticket_id = getattr(result, "id", None)
            if ticket_id:
                created += _created(item, ticket_id)
                out[item.key] = ticket_id
            elif result is not None:  # Zendesk refused this ticket alone: its code only, never details
                out[item.key] = PermanentError(f"Zendesk ticket bulk create refused this ticket: "
                                               f"{safe_label(getattr(result, 'error', None)) or 'error'}")
            else:
                out[item.key] = RetryableError("Zendesk ticket bulk create: no result for this ticket")
        record_together(created)
        log.info("Zendesk bulk job %s: %d tickets created of %d", job.id,
                 sum(1 for v in out.values() if not isinstance(v, Exception)), len(chunk))
        return out

    def update_many(self, ticket_ids: list[int], change: dict[str, Any], one: Callable[[int], None]) -> None:
        """One change to many tickets: ``update_many`` per chunk of ``BULK_LIMIT`` from ``MIN_BULK``
        tickets on (else ``one(ticket_id)`` each); any ticket the job could not update raises."""
        if len(ticket_ids) < MIN_BULK:
            for ticket_id in ticket_ids:
                one(ticket_id)
            return
        session = self._client.tickets.session
        for start in range(0, len(ticket_ids), BULK_LIMIT):
            chunk = ticket_ids[start:start + BULK_LIMIT]
            with zendesk_errors("ticket update_many"):
                response = session.put(f"{self._base_url}/api/v2/tickets/update_many.json",
                                       params={"ids": ",".join(map(str, chunk))}, json={"ticket": change},
                                       timeout=TIMEOUT_SECONDS)
                response.raise_for_status()
                job_id = response.json()["job_status"]["id"]
            status = self._wait(job_id)
            failed = [r for r in (status.results or []) if not _value(r, "success")]
            if failed:
                raise RetryableError(f"Zendesk update_many: {len(failed)} of {len(chunk)} tickets not updated")
            log.info("Zendesk update_many job %s: %d tickets", job_id, len(chunk))

    def _wait(self, job_id: str) -> Any:
        """Poll a bulk job with growing waits until it is done (or hand the cases back)."""
        deadline, delay = self.monotonic() + POLL_DEADLINE, FIRST_POLL
        while True:
            self.sleep(delay)
            with zendesk_errors("job status"):
                status = self._client.job_status(id=job_id)
            if status.status == "completed":
                return status
            if status.status not in ("queued", "working"):  # failed or killed: some may exist
                raise RetryableError(f"Zendesk bulk ticket job {status.status}")
            if self.monotonic() + delay > deadline:
                raise RetryableError("Zendesk bulk ticket job still running", retry_after=delay)
            delay = min(delay * 2, MAX_POLL)
