"""Which of our code one survey answer walks through, from HTTP request to the CRMs.

Set-up as tests/e2e: Zendesk/HubSpot stand-ins (connector/sandbox) over real HTTP on
127.0.0.1, SQLite in a temp dir, a webhook secret. A signed detractor answer is posted
to ``POST /webhooks/surveys/generic`` (Flask test client), then ``Worker.run_once()``
loops in-process until no job is queued or running and the case is synced with its
Zendesk ticket and HubSpot tasks. One answer warms up untraced; a second (other
response_id, email) runs under ``sys.setprofile`` + ``threading.setprofile``, which
record each call of a function in ``connector/`` outside ``connector/sandbox/`` (the
stand-ins play the vendors) as (caller module, callee module, callee qualname). The
caller is the nearest connector frame up the stack outside the sandbox, ``<entry>`` if
none; calls under a sandbox frame are dropped. Import cycles: strongly connected
components of grimp's import graph of all of ``connector`` (function-level and
TYPE_CHECKING imports count, as for import-linter).

Usage: ``.venv/bin/python bench/answer_path.py [--json]``  (needs ``pip install grimp``)
"""
import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import grimp  # noqa: E402

from connector.config import DEFAULTS  # noqa: E402
from connector.domain.routing import load_routing  # noqa: E402
from connector.jobs.worker import Worker  # noqa: E402
from connector.ports.keys import ticket_external_id  # noqa: E402
from connector.sandbox.hubspot import create_hubspot_standin  # noqa: E402
from connector.sandbox.server import BackgroundServer  # noqa: E402
from connector.sandbox.zendesk import create_zendesk_standin  # noqa: E402
from connector.web.app import create_app  # noqa: E402

PACKAGE_DIR, SANDBOX = ROOT / "connector", "connector.sandbox."
SECRET = "whsec_" + base64.b64encode(b"bench-secret-key-0123456789abcdef").decode()
ADMIN_TOKEN, ZD_EMAIL, ZD_TOKEN, HS_TOKEN = "bench-admin", "agent@example.com", "zd-token-bench", "pat-bench"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
COMPREHENSIONS = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def module_of(filename: str, _cache: dict = {}) -> str | None:  # noqa: B006 (a cache on purpose)
    """Dotted module name of a file inside connector/, else None."""
    if filename not in _cache:
        path, name = Path(filename).resolve(), None
        if path.suffix == ".py" and path.is_relative_to(PACKAGE_DIR):
            parts = ("connector",) + path.relative_to(PACKAGE_DIR).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        _cache[filename] = name
    return _cache[filename]


class CallRecorder:
    def __init__(self):
        self.calls = Counter()  # (caller module or "<entry>", callee module, callee qualname) -> count
        self.threads, self.dropped_vendor_side = set(), 0  # sanity: MainThread only, 0 dropped

    def profile(self, frame, event, arg):
        callee = module_of(frame.f_code.co_filename) if event == "call" else None
        if callee is None or f"{callee}.".startswith(SANDBOX):
            return
        caller, up = "<entry>", frame.f_back
        while up is not None and (module := module_of(up.f_code.co_filename)) is None:
            up = up.f_back
        if up is not None:
            if f"{module}.".startswith(SANDBOX):
                self.dropped_vendor_side += 1
                return
            caller = module
        self.calls[(caller, callee, frame.f_code.co_qualname)] += 1
        self.threads.add(threading.current_thread().name)

    def __enter__(self):
        threading.setprofile(self.profile)
        sys.setprofile(self.profile)

    def __exit__(self, *exc):
        sys.setprofile(None)
        threading.setprofile(None)


def signed(body: bytes, msg_id: str) -> dict:
    """Standard Webhooks headers: v1 = base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    stamp = str(int(time.time()))
    digest = hmac.new(base64.b64decode(SECRET.removeprefix("whsec_")), f"{msg_id}.{stamp}.".encode() + body,
                      hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "Content-Type": "application/json",
            "webhook-signature": "v1," + base64.b64encode(digest).decode()}


def detractor(response_id: str, email: str) -> bytes:
    submitted = (datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)).isoformat()
    return json.dumps({
        "response_id": response_id, "submitted_at": submitted, "score": 3, "locale": "fr",
        "survey": {"id": "q4-nps", "type": "nps", "name": "Q4 NPS", "kind": "relational"},
        "comment": "Service catastrophique, je cherche déjà un autre fournisseur.",
        "customer": {"email": email, "name": "Marie Dubois", "company": "Acme", "lifetime_value": 47000, "vip": False},
        "context": {"zendesk_ticket_id": 1234, "agent_email": "junior@example.com"}}).encode()


def build(folder: str):
    """(app, zendesk state, hubspot state, servers), as the e2e ``vendors`` fixture and ``Vendors.config``."""
    routing = load_routing()
    servers = (BackgroundServer(create_zendesk_standin(email=ZD_EMAIL, api_token=ZD_TOKEN)).start(),
               BackgroundServer(create_hubspot_standin(access_tokens=[HS_TOKEN])).start())
    zendesk, hubspot = servers[0].app.extensions["zendesk_standin"], servers[1].app.extensions["hubspot_standin"]
    zendesk.seed_agents(routing)
    hubspot.seed_owners(routing)
    app = create_app(dict(
        DEFAULTS, DATABASE_URL=f"sqlite:///{folder}/bench.db", WEBHOOK_SECRET=SECRET, ADMIN_TOKEN=ADMIN_TOKEN,
        JOB_BACKOFF_BASE_SECONDS=0.01, JOB_BACKOFF_CAP_SECONDS=0.05, JOB_MAX_ATTEMPTS=5,
        ZENDESK_SUBDOMAIN="acme", ZENDESK_EMAIL=ZD_EMAIL, ZENDESK_API_TOKEN=ZD_TOKEN,
        ZENDESK_BASE_URL=servers[0].url, HUBSPOT_ACCESS_TOKEN=HS_TOKEN, HUBSPOT_BASE_URL=servers[1].url))
    return app, zendesk, hubspot, servers


def landed(client, zendesk, hubspot, case_id: int, email: str) -> bool:
    """No job queued or running, the case synced, its ticket and its tasks at the stand-ins."""
    jobs = {s: client.get(f"/api/jobs?status={s}", headers=ADMIN).json["jobs"] for s in ("queued", "running", "dead")}
    if jobs["dead"]:
        raise RuntimeError(f"dead jobs: {jobs['dead']}")
    contact = hubspot.contact_by_email(email)
    tasks = [t for t in hubspot.tasks.values() if contact and contact["id"] in t["associations"].get("contacts", [])]
    ticket = any(t.get("external_id") == ticket_external_id(case_id) for t in zendesk.tickets.values())
    synced = client.get(f"/api/cases/{case_id}", headers=ADMIN).json["sync_status"] == "synced"
    return not jobs["queued"] and not jobs["running"] and synced and ticket and len(tasks) > 0


def one_answer(app, zendesk, hubspot, tag: str, recorder=None, timeout: float = 30.0) -> None:
    client, worker, email = app.test_client(), Worker(app.extensions["recovery"], f"bench-{tag}"), f"{tag}@example.com"
    trace = recorder or contextlib.nullcontext()
    body = detractor(f"bench-{tag}", email)
    with trace:
        response = client.post("/webhooks/surveys/generic", data=body, headers=signed(body, f"msg-{tag}"))
    if response.status_code != 202:
        raise RuntimeError(f"webhook answered {response.status_code}: {response.get_data(as_text=True)}")
    case_id, deadline = response.json["case_id"], time.monotonic() + timeout
    while True:
        with trace:
            while worker.run_once():
                pass
        if landed(client, zendesk, hubspot, case_id, email):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"case {case_id} not landed within {timeout}s")
        time.sleep(0.05)  # a job waits for its backoff or a rate limit


def import_cycles(package: str = "connector") -> list[list[str]]:
    """Tarjan's strongly connected components of size > 1 in grimp's import graph."""
    graph = grimp.build_graph(package)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph.modules)))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(cycles, key=lambda c: (-len(c), c))


def report(recorder: CallRecorder, cycles: list[list[str]]) -> dict:
    calls, edges = recorder.calls, Counter()
    for (caller, callee, _), count in calls.items():
        if caller not in ("<entry>", callee):
            edges[(caller, callee)] += count
    code = {f"{callee}:{name}" for _, callee, name in calls}
    return {
        "modules": sorted({callee for _, callee, _ in calls}),
        "functions": sorted(c for c in code if not c.endswith(COMPREHENSIONS)),
        "comprehensions": sorted(c for c in code if c.endswith(COMPREHENSIONS)),
        "entry_points": sorted({f"{m}:{q}" for caller, m, q in calls if caller == "<entry>"}),
        "call_events": sum(calls.values()),
        "edges": [{"caller": a, "callee": b, "calls": n} for (a, b), n in sorted(edges.items())],
        "bidirectional_pairs": sorted(sorted(pair) for pair in edges if pair < pair[::-1] and pair[::-1] in edges),
        "import_cycles": cycles,
        "threads": sorted(recorder.threads),
        "dropped_vendor_side_calls": recorder.dropped_vendor_side,
    }


def print_text(data: dict) -> None:
    print(f"connector modules touched: {len(data['modules'])}")
    print(f"distinct functions touched: {len(data['functions'])} (+ {len(data['comprehensions'])} "
          f"comprehensions/genexprs; {data['call_events']} call events; threads: {', '.join(data['threads'])})")
    print(f"module -> module call edges: {len(data['edges'])}")
    print(f"module pairs calling each other both ways: {len(data['bidirectional_pairs'])}")
    for a, b in data["bidirectional_pairs"]:
        print(f"  {a} <-> {b}")
    print("entry points (no connector caller):", *data["entry_points"], sep="\n  ")
    print("modules:", *data["modules"], sep="\n  ")
    print(f"import cycles (grimp SCCs > 1, all of connector): {len(data['import_cycles'])}")
    for number, cycle in enumerate(data["import_cycles"], 1):
        print(f"  #{number} ({len(cycle)} modules): {', '.join(cycle)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of text")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    recorder = CallRecorder()
    with tempfile.TemporaryDirectory() as folder:
        app, zendesk, hubspot, servers = build(folder)
        try:
            one_answer(app, zendesk, hubspot, "warmup")
            one_answer(app, zendesk, hubspot, "traced", recorder)
        finally:
            app.extensions["recovery"].engine.dispose()
            for server in servers:
                server.stop()
    data = report(recorder, import_cycles())
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_text(data)


if __name__ == "__main__":
    main()
