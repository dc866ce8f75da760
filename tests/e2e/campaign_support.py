"""Harness of the fault suite: a campaign of signed survey answers sent like a survey
tool sends them, a read-only view of the store, and the invariants every fault test
ends on: nothing lost, nothing duplicated, nothing dead that should not be."""
import http.client
import itertools
import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text

from bench.campaign_verify import standin_records
from connector.domain.react import STAGE_KEYS
from tests.signing import answer_payload, just_now, signed_headers

STAGES = set(STAGE_KEYS)
COMMENTS = ["Service catastrophique, je cherche déjà un autre fournisseur.",
            "Usually great, but this time nobody called back.",
            "Encore une panne, toujours le même problème.",
            "We are switching to an enterprise-grade tool."]


@dataclass(frozen=True)
class CampaignAnswer:
    response_id: str
    email: str
    score: int
    comment: str

    @property
    def detractor(self) -> bool:
        return self.score <= 6

    def body(self) -> bytes:
        return json.dumps(answer_payload(submitted_at=just_now(), response_id=self.response_id, score=self.score,
                                         comment=self.comment, customer={"email": self.email})).encode()


def make_campaign(prefix: str, count: int, seed: int, detractor_share: float = 0.3) -> list[CampaignAnswer]:
    """``count`` answers with unique e-mails, ``detractor_share`` of them detractors (NPS 0-6)."""
    rng = random.Random(seed)
    detractors = set(rng.sample(range(count), round(count * detractor_share)))
    return [CampaignAnswer(f"{prefix}-{i}", f"{prefix}{i}@example.com",
                           rng.randint(0, 6) if i in detractors else rng.randint(7, 10), rng.choice(COMMENTS))
            for i in range(count)]


@dataclass
class Delivery:
    answer: CampaignAnswer
    outcomes: list = field(default_factory=list)  # per try: HTTP status, "refused" or "dropped"
    bodies: list = field(default_factory=list)    # every 2xx body

    @property
    def accepted(self) -> bool:
        return bool(self.bodies)


class Hold:
    """One try that sends its headers and half its body, then waits for ``release``: a request
    that is surely on the wire when the test kills the server."""

    def __init__(self):
        self.on_wire, self.release = threading.Event(), threading.Event()
        self.outcome = self.answer = None


class Sender:
    """Posts a campaign from a few threads at a steady rate. Like a survey tool, it sends
    the same delivery again (same webhook-id, same body) after no answer or a 5xx."""

    def __init__(self, url: str, answers, *, rate: float = 25.0, threads: int = 4, give_up_after: float = 90.0):
        self.url, self.rate, self.threads, self.give_up_after = url, rate, threads, give_up_after
        self.deliveries = [Delivery(a) for a in answers]
        self._next = itertools.count()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.started = self.finished = None
        self._pool = None
        self._holds: list[Hold] = []

    def start(self) -> "Sender":
        self.started = time.monotonic()
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="sender")
        self._futures = [self._pool.submit(self._run) for _ in range(self.threads)]
        return self

    def join(self, timeout: float) -> list[Delivery]:
        for future in self._futures:
            future.result(timeout=timeout)
        self._pool.shutdown()
        self.finished = time.monotonic()
        return self.deliveries

    def accepted(self) -> int:
        return sum(1 for d in self.deliveries if d.accepted)

    def outcomes(self, kind) -> int:
        return sum(d.outcomes.count(kind) for d in self.deliveries)

    def hold_next(self) -> Hold:
        """The next try, first or retry, is held half sent until the returned hold is released."""
        hold = Hold()
        with self._lock:
            self._holds.append(hold)
        return hold

    def _run(self) -> None:
        while (index := next(self._next)) < len(self.deliveries):
            delay = self.started + index / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # open-loop schedule: answer i leaves at i / rate
            self._deliver(self.deliveries[index])

    def _deliver(self, delivery: Delivery) -> None:
        body, msg_id = delivery.answer.body(), f"msg-{delivery.answer.response_id}"
        deadline = time.monotonic() + self.give_up_after
        for attempt in itertools.count():
            with self._lock:
                self.in_flight += 1
                hold = self._holds.pop(0) if self._holds else None
            try:
                if hold:
                    outcome = hold.outcome = self._held(body, signed_headers(body, msg_id=msg_id), hold)
                else:
                    response = requests.post(f"{self.url}/webhooks/surveys/generic", data=body, timeout=10,
                                             headers=signed_headers(body, msg_id=msg_id))
                    outcome = response.status_code
            except requests.ConnectionError as exc:
                outcome = "refused" if "refused" in str(exc).lower() else "dropped"
            except requests.RequestException:  # timed out, or the body cut after the headers
                outcome = "dropped"
            finally:
                with self._lock:
                    self.in_flight -= 1
            delivery.outcomes.append(outcome)
            if isinstance(outcome, int) and outcome < 300:
                delivery.bodies.append(hold.answer if hold else response.json())
                return
            if isinstance(outcome, int) and outcome < 500 or time.monotonic() > deadline:
                return  # a 4xx is final, as survey tools treat it
            time.sleep(min(0.1 * (attempt + 1), 1.0))  # the survey tool's own retry backoff

    def _held(self, body: bytes, headers: dict, hold: Hold):
        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            connection.putrequest("POST", "/webhooks/surveys/generic")
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                connection.putheader(name, value)
            connection.endheaders(body[: len(body) // 2])
            hold.on_wire.set()
            hold.release.wait(30)
            connection.send(body[len(body) // 2:])
            response = connection.getresponse()
            hold.answer = json.loads(response.read() or b"null")
            return response.status
        except (OSError, http.client.HTTPException):
            return "dropped"
        finally:
            connection.close()


class Store:
    """Read-only view of the connector's database (its own plain engine: no write locks)."""

    def __init__(self, url: str):
        self.engine = create_engine(url)

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).all()

    def job_statuses(self) -> Counter:
        return Counter(dict(self.rows("SELECT status, COUNT(*) FROM jobs GROUP BY status")))

    def settled(self) -> bool:
        """Every job done or dead: nothing queued, nothing leased."""
        statuses = self.job_statuses()
        return bool(statuses) and not statuses["queued"] and not statuses["running"]

    def dead_jobs(self) -> set[tuple[str, int]]:
        return {(kind, ref) for kind, ref in self.rows("SELECT kind, ref_id FROM jobs WHERE status = 'dead'")}

    def answers(self) -> dict[str, list[tuple[int, int | None]]]:
        stored: dict[str, list] = {}
        for response_id, answer_id, case_id in self.rows("SELECT response_id, id, case_id FROM answers"):
            stored.setdefault(response_id, []).append((answer_id, case_id))
        return stored

    def unsynced_cases(self, case_ids) -> list[int]:
        rows = self.rows("SELECT id, zendesk_synced, hubspot_synced, hubspot_ticket_url_synced, sync_failed "
                         "FROM cases")
        synced = {i for i, zd, hs, link, failed in rows if zd and hs and link and not failed}
        return sorted(set(case_ids) - synced)

    def close(self) -> None:
        self.engine.dispose()


def poll(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until truthy (never a blind sleep); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)
    return value


def vendor_counts(vendors) -> dict:
    """Tickets by external_id, contacts by e-mail, tasks by (case, stage), notes by case: the
    campaign benchmark's own count of the stand-ins, with contacts as how many per e-mail."""
    records = standin_records(vendors.zendesk, vendors.hubspot)
    return {**records, "contacts": Counter({email: len(found) for email, found in records["contacts"].items()})}


def check_invariants(store: Store, vendors, deliveries, *, context: str, expected_dead=frozenset(),
                     poisoned=frozenset()) -> dict:
    """Zero answers lost, one answer and one case per response_id, one ticket per case,
    one contact per e-mail, eight tasks and one note per case, dead jobs exactly as expected.
    ``poisoned``: response_ids whose HubSpot side is meant to fail (checked by the caller)."""
    lost = [d.answer.response_id for d in deliveries if not d.accepted]
    assert not lost, f"{context}: answers never accepted: {lost[:5]} ({len(lost)})"
    stored = store.answers()
    case_of = {}
    for d in deliveries:
        rid = d.answer.response_id
        assert len(stored.get(rid, [])) == 1, f"{context}: {rid} stored {len(stored.get(rid, []))} times"
        answer_id, case_id = stored[rid][0]
        assert {b["case_id"] for b in d.bodies} == {case_id}, f"{context}: {rid} answered other cases {d.bodies}"
        assert (case_id is not None) == d.answer.detractor, f"{context}: {rid} case {case_id}"
        case_of[rid] = case_id
    cases = [c for c in case_of.values() if c is not None]
    assert len(set(cases)) == len(cases), f"{context}: two answers share a case"
    counts = vendor_counts(vendors)
    healthy = [d.answer for d in deliveries if d.answer.response_id not in poisoned]
    for answer in healthy:
        case = case_of[answer.response_id]
        assert counts["contacts"][answer.email] == 1, f"{context}: {counts['contacts'][answer.email]} contacts"
        if case is None:
            continue
        assert counts["tickets"][f"recovery-{case}"] == 1, f"{context}: case {case} has " \
            f"{counts['tickets'][f'recovery-{case}']} tickets"
        stages = {stage: n for (c, stage), n in counts["tasks"].items() if c == case}
        # The rep's heads-up may still be on its way once the case is synced; never twice.
        assert stages.pop("rep", 1) == 1, f"{context}: case {case} heads-up tasks {counts['tasks'][(case, 'rep')]}"
        assert stages == dict.fromkeys(STAGES, 1), f"{context}: case {case} tasks {stages}"
        assert len(vendors.tasks_of(answer.email)) == 8, f"{context}: case {case} contact tasks"
        assert counts["notes"][case] == 1, f"{context}: case {case} has {counts['notes'][case]} notes"
    healthy_cases = [case_of[a.response_id] for a in healthy if case_of[a.response_id]]
    assert not store.unsynced_cases(healthy_cases), f"{context}: unsynced {store.unsynced_cases(healthy_cases)}"
    dead = store.dead_jobs()
    assert dead == set(expected_dead), f"{context}: dead jobs {sorted(dead)}, expected {sorted(expected_dead)}"
    return {"answers": len(deliveries), "cases": len(cases), "case_of": case_of,
            "answer_id": {rid: rows[0][0] for rid, rows in stored.items()}}


def assert_no_customer_data(log_text: str, answers, context: str) -> None:
    """Logs carry ids and statuses only: no e-mail, no comment of the campaign."""
    leaked = [a.email for a in answers if a.email in log_text] + [c for c in COMMENTS if c in log_text]
    assert not leaked, f"{context}: customer data in the logs: {leaked[:3]}"
