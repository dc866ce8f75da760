"""The campaign's load: varied signed survey answers, sent open loop at a fixed rate."""
from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

COMMENTS = {
    ("disappointed", "en"): ["Usually great service, but this time the delivery was two weeks late.",
                             "I have always been happy, but this time support never called back.",
                             "Normally fine, but this time the invoice was wrong twice."],
    ("disappointed", "fr"): ["D'habitude tout va bien, mais cette fois la livraison a eu deux semaines de retard.",
                             "Habituellement parfait, mais cette fois personne ne m'a rappelé."],
    ("chronic", "en"): ["Again the same outage, every time we call it is still not fixed.",
                        "The export is still broken, always the same answer from support."],
    ("chronic", "fr"): ["Encore une panne, toujours le même problème chaque fois.",
                        "Toujours les mêmes bugs, encore une fois rien n'a changé."],
    ("structural", "en"): ["We need SSO and audit logs which you don't have, switching to an enterprise-grade tool.",
                           "Switching to a competitor: we need multi-entity accounting which you don't have."],
    ("structural", "fr"): ["Nous passons à une solution enterprise-grade, il nous faut le SSO que vous n'avez pas."],
    ("happy", "en"): ["Great product, quick support.", "Works well for us.", None],
    ("happy", "fr"): ["Très bon service, merci.", "Rien à signaler.", None],
}
FIRST = ["Marie", "Jean", "Alice", "Omar", "Chen", "Lucia", "Tom", "Aisha", "Pierre", "Sofia", "Ivan", "Nora"]
LAST = ["Dubois", "Martin", "Smith", "Haddad", "Wang", "Rossi", "Brown", "Khan", "Durand", "Silva"]


@dataclass
class Answer:
    index: int
    response_id: str
    email: str
    score: int
    detractor: bool
    body: bytes
    survey: str = "nps"   # or "csat": where the contact's last score lands


def build_campaign(count: int, share: float, seed: int, tag: str) -> list[Answer]:
    """`count` answers, exactly round(count * share) of them detractors, varied customers."""
    rng = random.Random(seed)
    detractors = round(count * share)
    kinds = [True] * detractors + [False] * (count - detractors)
    rng.shuffle(kinds)
    submitted = (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    campaign = []
    for index, detractor in enumerate(kinds):
        csat = rng.random() < 0.15
        if detractor:
            score = rng.choice((1, 2)) if csat else rng.randint(0, 6)
            flavour = rng.choices(("disappointed", "chronic", "structural"), (60, 25, 15))[0]
        else:
            score = rng.choice((3, 4, 5)) if csat else rng.randint(7, 10)
            flavour = "happy"
        locale = "fr" if rng.random() < 0.4 else "en"
        value = rng.choices((rng.randint(500, 9_999), rng.randint(10_000, 30_000), rng.randint(30_001, 120_000)),
                            (60, 30, 10))[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{tag}.{index:05d}@example.com".lower()
        payload = {
            "response_id": f"bench-{tag}-{index:05d}",
            "submitted_at": submitted,
            "survey": ({"id": "support-csat", "type": "csat", "name": "Support CSAT", "kind": "transactional"}
                       if csat else {"id": "q4-nps", "type": "nps", "name": "Q4 NPS", "kind": "relational"}),
            "score": score,
            "comment": rng.choice(COMMENTS[(flavour, locale)]),
            "locale": locale,
            "customer": {"email": email, "name": f"{first} {last}", "company": f"Company {index % 97}",
                         "lifetime_value": value, "vip": False},
        }
        if detractor and rng.random() < 0.3:
            payload["context"] = {"agent_email": "junior.agent@example.com"}
        campaign.append(Answer(index, payload["response_id"], email, score, detractor,
                               json.dumps(payload).encode(), "csat" if csat else "nps"))
    return campaign


@dataclass
class Sent:
    scheduled: float
    started: float
    finished: float
    status: int | str
    case_id: int | None


def send_campaign(url: str, campaign: list[Answer], rate: float, senders: int, secret: str,
                  stop: threading.Event) -> tuple[list[Sent | None], float, float]:
    """Open loop: answer i is due at t0 + i/rate whatever happened before; latency counts from then.

    The requests are signed before the clock starts and sent over plain keep-alive
    ``http.client`` connections: the load generator shares the machine with what it measures,
    and ``requests`` plus signing cost it ~1.5 ms of CPU per answer, a third of a core at 200/s.
    """
    from tests.signing import signed_headers  # the reference standardwebhooks signer

    target = urlsplit(url)
    prepared = [(answer.body, {**signed_headers(answer.body, secret=secret, msg_id=f"msg_{answer.response_id}"),
                               "Content-Type": "application/json"}) for answer in campaign]
    results: list[Sent | None] = [None] * len(campaign)
    counter, lock = itertools.count(), threading.Lock()
    t0 = time.perf_counter() + 0.5
    wall0 = time.time() + (t0 - time.perf_counter())

    def sender():
        connection = None
        while not stop.is_set():
            with lock:
                index = next(counter)
            if index >= len(campaign):
                break
            scheduled = t0 + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body, headers = prepared[index]
            started = time.perf_counter()
            case_id = None
            try:
                connection = connection or http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                connection.request("POST", "/webhooks/surveys/generic", body=body, headers=headers)
                response = connection.getresponse()
                payload, status = response.read(), response.status
                if status in (200, 202):
                    case_id = json.loads(payload).get("case_id")
            except (OSError, http.client.HTTPException) as exc:
                status = f"error:{type(exc).__name__}"
                if connection is not None:
                    connection.close()
                connection = None
            results[index] = Sent(scheduled, started, time.perf_counter(), status, case_id)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=sender, name=f"sender-{i}", daemon=True) for i in range(senders)]
    for thread in threads:
        thread.start()
    bound = time.monotonic() + len(campaign) / rate + 120  # the send phase cannot run away
    for thread in threads:
        while thread.is_alive() and time.monotonic() < bound and not stop.is_set():
            thread.join(0.2)
    stop.set()
    return results, t0, wall0
