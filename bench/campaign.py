"""Issue 5 benchmark: a survey campaign at the vendors' rate limits.

Sends a campaign of signed answers (default 5,000, 30% detractors) to the
connector at a fixed arrival rate (open loop, default 200 requests/s) while the
sandbox stand-ins enforce HubSpot's 100 calls / 10 s and Zendesk's 700 calls /
min, then waits until everything is synced and reports:

- webhook answer latency p50/p95/p99/max, measured from each request's
  *scheduled* send time (no coordinated omission), and the achieved rate;
- time from the first send until everything is synced, against the minimum the
  rate limits allow for the calls this build makes (formula printed);
- API calls per detractor and per answer, 429s and their share;
- peak RSS of the connector process (VmHWM), dead jobs, duplicates
  (tickets per case, contacts per email, tasks per case must be 1/1/8).

Processes (2-core machine in mind):
- the connector runs in its own process, ``python -m connector serve`` (gunicorn web
  processes plus a job worker process, the embedded default), so the load generator
  never shares its GIL;
- the stand-ins run in a third process (multiprocessing, spawn): they are the
  remote vendors, and keeping them out of the load generator's GIL keeps the
  scheduled-send clock honest; the benchmark reads their state over a pipe;
- the benchmark process only generates load and polls;
- ``--web-processes N`` instead runs the several-machine layout: gunicorn with N web
  processes and a separate ``recovery worker`` process (see bench/deployment.py); the report
  then gives the web processes' CPU per request and how busy every party, and the rest
  of the machine, was during the send phase.

Everything listens on 127.0.0.1. The run is bounded (send phase, sync timeout,
stall detection), and the connector, the stand-ins and the database (SQLite
temp folder or a fresh PostgreSQL database) are removed on exit, Ctrl-C or
error.

Usage::

    .venv/bin/python bench/campaign.py [--answers 5000] [--detractor-share 0.3] [--rate 200]
                                       [--workers 2] [--database sqlite|postgres] [--web-processes N]
                                       [--modes batched,naive]

By default the campaign runs twice in the same run (issue 5 item 4): ``batched``
(BATCH_LIMIT=100, batching across answers) and ``naive`` (BATCH_LIMIT=1, one API call
per object), each against fresh stand-ins and a fresh database, and a comparison table
puts them side by side at the end. ``--modes batched`` runs one of them.

Also: ``--reference`` first runs the same campaign with the stand-ins unlimited,
to count the calls a 429-free sync makes (a second floor); ``--reference-only``
runs just that; ``--workers 0`` measures the webhook (intake) path alone and
skips the sync. Exit code 1 when an answer is lost, a webhook answers other
than 202, a job is dead or the 1/1/8 check fails (missed speed targets do not
fail the run; they are printed beside each figure).

Results: a table on stdout and ``bench/results/campaign-<time>-<mode>.json``
(the connector's log beside it).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the connector and tests.signing; this folder is on the path as the script's

# The parts, by what they do: campaign_processes (stand-ins, database, connector), campaign_load
# (the answers and their sending), campaign_verify (what landed in the stand-ins; the fault
# suite uses it too), campaign_report (figures and text), campaign_run (one measured run).
from campaign_report import (  # noqa: E402
    HUBSPOT_LIMIT,
    HUBSPOT_WINDOW,
    ZENDESK_LIMIT,
    ZENDESK_WINDOW,
    is_sound,
    print_comparison,
    print_report,
)
from campaign_run import BATCHING_NOTE, MODES, RESULTS, run_mode  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--detractor-share", type=float, default=0.3)
    parser.add_argument("--rate", type=float, default=200.0, help="offered webhook requests per second")
    parser.add_argument("--workers", type=int, default=2, help="RECOVERY_WORKER_THREADS of the connector")
    parser.add_argument("--web-processes", type=int, default=0,
                        help="0: `recovery serve` (web and worker threads in one process); N: gunicorn with N web "
                             "processes plus a separate `recovery worker --threads WORKERS` process")
    parser.add_argument("--web-cpus", default="",
                        help="with --web-processes: pin the web processes to these CPUs (e.g. 0) and this "
                             "benchmark, the stand-ins and the worker to the others: web and worker on separate "
                             "cores, as on separate machines (the database server is not pinned)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--modes", default="batched,naive",
                        help=f"comma-separated configurations to run in turn; known: {', '.join(MODES)}")
    parser.add_argument("--senders", type=int, default=64, help="load-generator threads (max in flight)")
    parser.add_argument("--hubspot-limit", type=int, default=HUBSPOT_LIMIT, help="stand-in calls per 10 s")
    parser.add_argument("--zendesk-limit", type=int, default=ZENDESK_LIMIT, help="stand-in calls per minute")
    parser.add_argument("--sync-timeout", type=float, default=None,
                        help="seconds to wait for the sync after sending (default: 3x an estimate + 120)")
    parser.add_argument("--stall-timeout", type=float, default=180.0,
                        help="give up when nothing moves for this long")
    parser.add_argument("--reference", action="store_true",
                        help="first run the same campaign with the stand-ins unlimited, to count the calls a "
                             "429-free sync makes; the measured run then also reports its floor")
    parser.add_argument("--reference-only", action="store_true",
                        help="only the reference run (stand-ins unlimited): the connector's own throughput")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--connector-log-level", default="INFO")
    args = parser.parse_args(argv)
    if not (0 <= args.detractor_share <= 1) or args.answers < 1 or args.rate <= 0:
        parser.error("need answers >= 1, rate > 0 and 0 <= detractor-share <= 1")
    args.web_cpus = {int(c) for c in args.web_cpus.split(",") if c.strip()}
    if args.web_cpus:
        others = os.sched_getaffinity(0) - args.web_cpus
        if not args.web_processes or not others:
            parser.error("--web-cpus needs --web-processes and leaves at least one CPU for the rest")
        os.sched_setaffinity(0, others)  # the stand-ins and the worker start from here: they inherit it
    names = [n.strip() for n in args.modes.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}. {BATCHING_NOTE}")
    if args.sync_timeout is None:
        # The naive pattern bounds it: per detractor 1 upsert + 8 tasks + note + link on HubSpot,
        # ticket + history search on Zendesk; 1 upsert per other answer.
        d = round(args.answers * args.detractor_share)
        estimate = max((11 * d + args.answers - d) / (args.hubspot_limit / HUBSPOT_WINDOW),
                       2 * d / (args.zendesk_limit / ZENDESK_WINDOW))
        args.sync_timeout = 2 * estimate + 120
        print(f"rate-limit floor estimate for the naive call pattern: {estimate:.0f} s; sync timeout "
              f"{args.sync_timeout:.0f} s", flush=True)

    interrupted = threading.Event()

    def on_signal(signum, _frame):
        interrupted.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    code = 0
    print(f"note: {BATCHING_NOTE}", flush=True)
    measured = []
    try:
        for name in names:
            needed = None
            runs = [False] if args.reference_only else \
                ([False] if args.reference and args.workers > 0 else []) + [True]
            for limited in runs:
                result = run_mode(args, name, MODES[name], stamp, interrupted, limited=limited, needed_calls=needed)
                if not limited:
                    needed = result.get("api_calls")
                print_report(result)
                if limited:
                    measured.append(result)
                path = RESULTS / f"campaign-{stamp}-{result['mode']}.json"
                path.write_text(json.dumps(result, indent=2, default=str))
                print(f"\n  JSON: {path.relative_to(ROOT)}", flush=True)
                code = code or (0 if is_sound(result) else 1)
    except KeyboardInterrupt:
        print("\ninterrupted: connector and stand-ins stopped, database removed", file=sys.stderr)
        return 130
    if len(measured) > 1:
        print_comparison(measured)
    return code


if __name__ == "__main__":
    sys.exit(main())
