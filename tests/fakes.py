"""In-memory vendor adapters for core tests (the real ones have their own suites).

They follow ``connector.ports.snapshots`` and can be told to fail, so the job
runner's retry, dead-letter and idempotency rules can be tested without HTTP.
"""
import threading

from connector.ports.batches import RepTold
from connector.ports.errors import PermanentError, RetryableError
from connector.ports.keys import (
    HUBSPOT_CLOSING_TASK,
    HUBSPOT_NOTE,
    HUBSPOT_PROMISE_TASK,
    HUBSPOT_REP_NOTE,
    HUBSPOT_REP_TASK,
    ZENDESK_TICKET,
    followup_key,
    hubspot_task_key,
    promise_key,
    promise_natural_key,
    task_natural_key,
)


class _Failing:
    def __init__(self):
        self.failures: list[Exception] = []
        self.lock = threading.Lock()

    def fail_with(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    def _maybe_fail(self):
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)


class FakeZendesk(_Failing):
    def __init__(self):
        from connector.providers.zendesk.mapping import load_zendesk_mapping

        super().__init__()
        self.mapping = load_zendesk_mapping()
        self.tickets: dict[int, dict] = {}
        self.updates: list[tuple[int, dict]] = []
        self.history: dict[str, int] = {}  # requester email -> tickets in the window
        self.user_tags: dict[int, list[str]] = {}  # requester user id -> tags
        self.user_emails: dict[int, str] = {}  # requester user id -> e-mail
        self.user_reads = 0
        self.searches = 0
        self.export_pages: list = []  # TicketPage answers of export_tickets, in order
        self.exports: list = []  # (cursor, start_time) of each export call

    def user_email(self, user_id):
        self._maybe_fail()
        self.user_reads += 1
        return self.user_emails.get(user_id)

    def recent_ticket_count(self, email, days, now):
        self._maybe_fail()
        self.searches += 1
        return self.history.get(email, 0)

    def set_export_throttle(self, throttle):
        pass

    def export_tickets(self, cursor, start_time):
        """The next queued export page (``export_pages``); the cursor and start time are recorded."""
        self._maybe_fail()
        self.exports.append((cursor, start_time))
        return self.export_pages.pop(0)

    def open_ticket(self, case, ledger, first_attempt):
        known = ledger.get(ZENDESK_TICKET)
        if known:
            return int(known)
        self._maybe_fail()
        with self.lock:
            for ticket_id, ticket in self.tickets.items():
                if ticket["external_id"] == self.mapping.ticket_external_id(case.case_id):
                    ledger.record(ZENDESK_TICKET, str(ticket_id))
                    return ticket_id
            ticket_id = len(self.tickets) + 1
            self.tickets[ticket_id] = {"external_id": self.mapping.ticket_external_id(case.case_id),
                                       "priority": case.priority, "systemic": case.systemic}
        ledger.record(ZENDESK_TICKET, str(ticket_id))
        return ticket_id

    def open_tickets(self, items, limit):
        out = {}
        for item in items:
            try:
                out[item.key] = self.open_ticket(item.case, item.ledger, item.first_attempt)
            except Exception as exc:  # noqa: BLE001 - handed back per item, like the real bulk create
                out[item.key] = exc
        return out

    def ticket_url(self, ticket_id):
        return f"https://fake.zendesk.test/agent/tickets/{ticket_id}"

    def open_followup(self, case, number, ledger, first_attempt):
        key = followup_key(number)
        if ledger.get(key):
            return int(ledger.get(key))
        self._maybe_fail()
        with self.lock:
            ticket_id = len(self.tickets) + 1
            self.tickets[ticket_id] = {"external_id": self.mapping.followup_external_id(case.case_id, number),
                                       "priority": case.priority, "follows": case.zendesk_ticket_id}
        ledger.record(key, str(ticket_id))
        return ticket_id

    def update_ticket(self, ticket_id, *, priority=None, due_at=None, tags_add=(), note=None, public_reply=None):
        self._maybe_fail()
        self.updates.append((ticket_id, {"priority": priority, "due_at": due_at, "tags_add": list(tags_add),
                                         "note": note, "public_reply": public_reply}))

    def open_problem(self, external_id, subject, note, tags, ledger, first_attempt):
        if ledger.get("zendesk.problem"):
            return int(ledger.get("zendesk.problem"))
        self._maybe_fail()
        with self.lock:
            ticket_id = len(self.tickets) + 1
            self.tickets[ticket_id] = {"external_id": external_id, "type": "problem", "subject": subject,
                                       "note": note, "tags": list(tags)}
        ledger.record("zendesk.problem", str(ticket_id))
        return ticket_id

    def tag_tickets(self, ticket_ids, tags, note):
        for ticket_id in ticket_ids:
            self.update_ticket(ticket_id, tags_add=tags, note=note)

    def ensure_cause_field(self):
        self._maybe_fail()
        return 360001

    def set_cause(self, ticket_id, cause_key):
        self._maybe_fail()
        self.updates.append((ticket_id, {"cause": cause_key}))

    def requester_of(self, ticket_id):
        self._maybe_fail()
        return 500 + ticket_id  # one customer user per fake ticket

    def add_user_tags(self, user_id, tags):
        self._maybe_fail()
        current = self.user_tags.setdefault(user_id, [])
        current.extend(t for t in tags if t not in current)

    def remove_user_tags(self, user_id, tags):
        self._maybe_fail()
        self.user_tags[user_id] = [t for t in self.user_tags.get(user_id, []) if t not in tags]


class FakeHubSpot(_Failing):
    def __init__(self):
        super().__init__()
        self.contacts: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.notes: list[dict] = []
        self.rep_tasks: dict[str, dict] = {}  # the rep's heads-up tasks, apart from the stage tasks
        self.rep_notes: list[dict] = []  # the rep's closing notes
        self.values: dict[str, float] = {}  # email -> lifetime value held in HubSpot
        self.owner_tasks: dict[str, dict] = {}  # key -> task for one owner (weak signal, digest)
        self.schema_calls = 0

    def ensure_schema(self):
        self.schema_calls += 1

    def create_owner_task(self, owner, subject, body, key, due_at, contact_id=None):
        self._maybe_fail()
        with self.lock:
            task_id = f"owner-{len(self.owner_tasks) + 1}"
            self.owner_tasks[key] = dict(id=task_id, owner=owner, subject=subject, body=body, contact_id=contact_id)
            return task_id

    def lifetime_value(self, email, source):
        self._maybe_fail()
        return self.values.get(email)

    def upsert_contact(self, answer, case=None, ticket_url=None):
        self._maybe_fail()
        with self.lock:
            contact = self.contacts.setdefault(answer.customer_email, {"id": str(len(self.contacts) + 1)})
            contact.update(nps_last_score=answer.score, nps_last_category=answer.category)
            if case is not None:
                upcoming = case.next_stage if case.status == "open" else None
                contact.update(recovery_incident_open=case.status == "open", recovery_priority=case.priority,
                               recovery_stage=upcoming.key if upcoming else "closed",
                               recovery_next_due_at=upcoming.due_at if upcoming else None,
                               recovery_outcome=case.outcome, recovery_cause=case.cause)
            if ticket_url:
                contact["recovery_zendesk_ticket_url"] = ticket_url
            return contact["id"]

    def create_stage_tasks(self, case, contact_id, ledger, first_attempt):
        created = {}
        for stage in case.stages:
            key = hubspot_task_key(stage.key)
            if ledger.get(key):
                continue
            self._maybe_fail()
            natural = task_natural_key(case.case_id, stage.key)
            with self.lock:
                if natural not in self.tasks:
                    self.tasks[natural] = {"contact": contact_id, "due": stage.due_at}
            ledger.record(key, natural)
            created[stage.key] = natural
        return created

    def create_promise_tasks(self, case, contact_id, promises, ledger, first_attempt):
        created = {}
        for promise in promises:
            key = promise_key(HUBSPOT_PROMISE_TASK, promise.promise_id)
            if not ledger.get(key):
                self._maybe_fail()
                natural = promise_natural_key(case.case_id, promise.promise_id)
                with self.lock:
                    self.tasks.setdefault(natural, {"contact": contact_id, "due": promise.due_at,
                                                    "subject": f"Promise: {promise.what}"})
                ledger.record(key, natural)
            created[promise.promise_id] = ledger.get(key)
        return created

    def add_case_note(self, case, contact_id, text, ledger, first_attempt):
        if ledger.get(HUBSPOT_NOTE):
            return ledger.get(HUBSPOT_NOTE)
        self._maybe_fail()
        self.notes.append({"contact": contact_id, "text": text})
        ledger.record(HUBSPOT_NOTE, str(len(self.notes)))
        return str(len(self.notes))

    def create_closing_task(self, case, contact_id, task, ledger, first_attempt):
        if ledger.get(HUBSPOT_CLOSING_TASK):
            return ledger.get(HUBSPOT_CLOSING_TASK)
        self._maybe_fail()
        natural = task_natural_key(case.case_id, "closing")
        with self.lock:
            self.tasks[natural] = {"contact": contact_id, "due": task.due_at, "subject": task.subject,
                                   "body": task.body, "owner": case.hubspot_owner or case.owner,
                                   "status": "COMPLETED" if task.done else "NOT_STARTED"}
        ledger.record(HUBSPOT_CLOSING_TASK, natural)
        return natural

    # -- batches: the same effects one item at a time, each item failing on its own --------
    def _each(self, items, key, one):
        out = {}
        for item in items:
            try:
                out[key(item)] = one(item)
            except Exception as exc:  # noqa: BLE001 - handed back per item, like the real batches
                out[key(item)] = exc
        return out

    def upsert_contacts(self, writes, limit, known_domains=None):
        return self._each(writes, lambda w: w.key, lambda w: self.upsert_contact(w.answer, w.case, w.ticket_url))

    def create_case_tasks(self, writes, limit):
        return self._each(writes, lambda w: w.key,
                          lambda w: self.create_stage_tasks(w.case, w.contact_id, w.ledger, w.first_attempt))

    def add_case_notes(self, writes, limit):
        return self._each(writes, lambda w: w.key,
                          lambda w: self.add_case_note(w.case, w.contact_id, w.text, w.ledger, w.first_attempt))

    def tell_reps(self, writes, limit):
        def one(w):
            if w.ledger.get(HUBSPOT_REP_TASK):
                return RepTold(w.ledger.get(HUBSPOT_REP_TASK), None, True)
            self._maybe_fail()
            natural = task_natural_key(w.case.case_id, "rep")
            with self.lock:
                self.rep_tasks[natural] = {"contact": w.contact_id, "owner": w.case.hubspot_owner or w.case.owner}
            w.ledger.record(HUBSPOT_REP_TASK, natural)
            return RepTold(natural, None, True)
        return self._each(writes, lambda w: w.key, one)

    def add_rep_notes(self, writes, limit):
        def one(w):
            if not w.ledger.get(HUBSPOT_REP_NOTE):
                self._maybe_fail()
                self.rep_notes.append({"contact": w.contact_id, "outcome": w.case.outcome})
                w.ledger.record(HUBSPOT_REP_NOTE, f"rep-note-{len(self.rep_notes)}")
            return w.ledger.get(HUBSPOT_REP_NOTE)
        return self._each(writes, lambda w: w.key, one)

    def set_ticket_urls(self, links, limit):
        return self._each(links, lambda link: link[0], lambda link: self.set_ticket_url(link[1], link[2]))

    def companies_of(self, contacts, known_domains=None, may_create=None, created=()):
        """No company in this fake: the account roll-up is tested against the HubSpot stand-in."""
        return {contact_id: None for contact_id in contacts}

    def update_company_rollups(self, rollups, limit):
        return {company_id: None for company_id in rollups}

    def complete_task(self, task_id):
        self._maybe_fail()
        self.tasks[task_id]["status"] = "COMPLETED"

    def set_ticket_url(self, contact_id, url):
        self._maybe_fail()
        for contact in self.contacts.values():
            if contact["id"] == contact_id:
                contact["recovery_zendesk_ticket_url"] = url


def outage(times: int = 3):
    return [RetryableError("vendor answered 503") for _ in range(times)]


def rejection():
    return PermanentError("vendor answered 400: property does not exist")


class FakeChat(_Failing):
    def __init__(self):
        super().__init__()
        self.posted: list[str] = []

    def post(self, text):
        self._maybe_fail()
        self.posted.append(text)
