"""The campaign's figures and text: percentiles, API calls, the rate-limit floor, the
connector log's failures, the per-run report and the side-by-side comparison."""
from __future__ import annotations

import contextlib
import json
import math
import re
from collections import Counter
from pathlib import Path

from deployment import cpu_text

# Vendors' published limits (issue 5): HubSpot 100 calls / 10 s, Zendesk 700 calls / min.
HUBSPOT_LIMIT, HUBSPOT_WINDOW = 100, 10.0
ZENDESK_LIMIT, ZENDESK_WINDOW = 700, 60.0


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def window_floor(calls: int, limit: int, window: float) -> float:
    """Least time a sliding window of `limit` per `window` s lets `calls` calls through."""
    return max(math.ceil(calls / limit) - 1, 0) * window if calls else 0.0


def call_stats(summary: dict, answers: int, detractors: int) -> dict:
    out = {}
    for vendor, calls in summary["calls"].items():
        total = sum(calls.values())
        limited = sum(n for (_, _, status), n in calls.items() if status == 429)
        errors = sum(n for (_, _, status), n in calls.items() if status >= 400 and status != 429)
        by_endpoint = Counter()
        for (method, path, status), n in calls.items():
            by_endpoint[f"{method} {path} {status}"] += n
        out[vendor] = {"total": total, "ok": total - limited - errors, "429": limited, "other_errors": errors,
                       "by_endpoint": dict(by_endpoint.most_common())}
    ok = out["zendesk"]["ok"] + out["hubspot"]["ok"]
    total = out["zendesk"]["total"] + out["hubspot"]["total"]
    limited = out["zendesk"]["429"] + out["hubspot"]["429"]

    def per(n, d):
        return round(n / d, 3) if d else None

    out["per_detractor"] = {"all": per(ok, detractors), "zendesk": per(out["zendesk"]["ok"], detractors),
                            "hubspot": per(out["hubspot"]["ok"], detractors)}
    out["per_answer"] = {"all": per(ok, answers), "zendesk": per(out["zendesk"]["ok"], answers),
                         "hubspot": per(out["hubspot"]["ok"], answers)}
    out["429_total"] = limited
    out["429_share_of_calls"] = round(limited / total, 4) if total else 0.0
    out["per_detractor_note"] = ("calls answered 2xx/other (429s excluded) divided by detractors: amortised, "
                                 "so promoter/passive contact upserts are included in the HubSpot figure")
    return out


def rate_floor(calls: dict, hubspot_limit: int, zendesk_limit: int) -> dict:
    """Least time the vendors' limits allow for the non-429 calls in `calls`."""
    hubspot = calls["hubspot"]["ok"] + calls["hubspot"]["other_errors"]
    zendesk = calls["zendesk"]["ok"] + calls["zendesk"]["other_errors"]
    h = hubspot / (hubspot_limit / HUBSPOT_WINDOW)
    z = zendesk / (zendesk_limit / ZENDESK_WINDOW)
    return {
        "formula": (f"max(HubSpot calls / ({hubspot_limit} per {HUBSPOT_WINDOW:.0f} s), "
                    f"Zendesk calls / ({zendesk_limit} per {ZENDESK_WINDOW:.0f} s))"),
        "hubspot_calls": hubspot, "zendesk_calls": zendesk,
        "hubspot_per_s": hubspot_limit / HUBSPOT_WINDOW, "zendesk_per_s": round(zendesk_limit / ZENDESK_WINDOW, 2),
        "hubspot_seconds": round(h, 1), "zendesk_seconds": round(z, 1), "seconds": round(max(h, z), 1),
        "bound_by": "hubspot" if h >= z else "zendesk",
        # With a sliding window the first `limit` calls pass at once: the exact floor is one window lower.
        "window_exact_seconds": round(max(window_floor(hubspot, hubspot_limit, HUBSPOT_WINDOW),
                                          window_floor(zendesk, zendesk_limit, ZENDESK_WINDOW)), 1),
    }


def ratio(measured, floor):
    return round(measured / floor, 2) if measured and floor else None


def log_counts(path: Path) -> dict:
    levels, failures, samples = Counter(), Counter(), []
    with contextlib.suppress(OSError), open(path, errors="replace") as handle:
        for line in handle:
            parts = line.split(" ", 4)
            if len(parts) > 3 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
                levels[parts[2]] += 1
                match = re.search(r"(job failed job_id=\d+ kind=(\S+)|hubspot (.+?) failed: \S+ status=(\S+)"
                                  r"|zendesk.*?status=(\S+))", line)
                if match:
                    failures[re.sub(r"job_id=\d+ ", "", match.group(0))[:120]] += 1
                elif len(samples) < 5:
                    samples.append(line.strip()[:300])
            elif line.startswith("Traceback"):
                levels["traceback"] += 1
    return {"levels": dict(levels), "failures": dict(failures.most_common(12)), "other_samples": samples}


def print_report(result: dict) -> None:
    p, w = result["parameters"], result.get("webhook") or {}
    s, c = result.get("sync") or {}, result.get("api_calls") or {}
    lat, svc = w.get("latency_ms_from_scheduled") or {}, w.get("service_ms_from_actual_send") or {}
    dup = result.get("duplicates_and_completeness") or {}
    proc, rows_ = result.get("connector_process") or {}, (result.get("store") or {}).get("rows") or {}

    def floor_lines(name, floor):
        return [(name, floor["formula"]),
                ("", f"= max({floor['hubspot_calls']} / {floor['hubspot_per_s']:g} per s = "
                     f"{floor['hubspot_seconds']} s, "
                     f"{floor['zendesk_calls']} / {floor['zendesk_per_s']:g} per s = {floor['zendesk_seconds']} s) "
                     f"= {floor['seconds']} s (sliding-window exact: {floor['window_exact_seconds']} s)")]

    rows = [
        ("mode", f"{result['mode']}: {result['mode_description']}"),
        ("campaign", f"{p['answers']} answers, {p['detractors']} detractors, {p['database']}, "
                     f"{p['worker_threads']} worker threads, limits HubSpot {p['hubspot_limit']}, "
                     f"Zendesk {p['zendesk_limit']}"),
        ("webhook latency (ms)", f"p50 {lat.get('p50')}  p95 {lat.get('p95')}  p99 {lat.get('p99')}  "
                                 f"max {lat.get('max')}  (from scheduled send; target p99 < 50)"),
        ("  service time (ms)", f"p50 {svc.get('p50')}  p99 {svc.get('p99')}  max {svc.get('max')} "
                                f"(from actual send)"),
        ("rate offered / achieved", f"{w.get('offered_rate_per_s')} / {w.get('achieved_rate_per_s')} per s"),
        ("deployment", p.get("deployment")),
        ("CPU during send", cpu_text(w.get("cpu_during_send"))),
        ("webhook answers", json.dumps(w.get("statuses"))),
        ("sync", f"{s.get('outcome')}" + (f": {s.get('seconds_first_send_to_last_vendor_call')} s from first send to "
                                          f"the last 2xx vendor call (queue seen empty at "
                                          f"{s.get('seconds_first_send_to_queue_seen_empty')} s)"
                                          if "seconds_first_send_to_last_vendor_call" in s else "")),
    ]
    if s.get("rate_limit_minimum"):
        rows += floor_lines("rate-limit minimum", s["rate_limit_minimum"])
        rows.append(("measured / minimum", f"{s.get('measured_over_minimum')}  (sliding-window exact: "
                                           f"{s.get('measured_over_window_exact_minimum')}; target <= 1.25)"))
        rows.append(("  / max(minimum, arrival)", f"{s.get('measured_over_max_minimum_and_arrival')}  (the last answer "
                                                  f"was accepted at {s.get('last_answer_accepted_at_seconds')} s)"))
    if s.get("rate_limit_minimum_for_429_free_calls"):
        rows += floor_lines("minimum, 429-free calls", s["rate_limit_minimum_for_429_free_calls"])
        rows.append(("measured / that minimum", f"{s.get('measured_over_429_free_minimum')}  (calls counted in "
                                                f"the reference run without rate limits)"))
    if s.get("vendor_ok_calls_per_s_during_sync"):
        rows.append(("vendor calls/s achieved", json.dumps(s.get("vendor_ok_calls_per_s_during_sync"))))
    if c:
        rows += [
            ("API calls per detractor", json.dumps(c.get("per_detractor")) + "  (target <= 1.2 amortised)"),
            ("API calls per answer", json.dumps(c.get("per_answer"))),
            ("calls ok/429/other err", "; ".join(f"{v} {c[v]['ok']}/{c[v]['429']}/{c[v]['other_errors']}"
                                                 for v in ("zendesk", "hubspot"))),
            ("429 share of calls", f"{c.get('429_share_of_calls', 0) * 100:.2f}%  (target < 1%)"),
        ]
    rows += [
        ("peak RSS connector", f"{proc.get('peak_rss_mib')} MiB (VmHWM); CPU {proc.get('cpu_seconds')} s"),
        ("cases sync_status", json.dumps((result.get("cases") or {}).get("sync_status"))),
        ("jobs dead at end", str(result.get("jobs_dead"))),
        ("stored answers / cases", f"{rows_.get('answers')} / {rows_.get('cases')} "
                                   f"(answers lost: {result.get('answers_lost')})"),
        ("failed job tries (log)", str(sum(v for k, v in ((result.get("connector_log_counts") or {})
                                                          .get("failures") or {}).items()
                                           if k.startswith("job failed")))),
    ]
    if dup:
        rows.append(("tickets/contacts/tasks", f"exactly 1/1/8: {dup.get('exactly_1_1_8')}  tickets/case "
                                               f"{dup.get('tickets_per_case')} contacts/email "
                                               f"{dup.get('contacts_per_email')} tasks/case "
                                               f"{dup.get('tasks_per_case')}"))
    rows.append(("connector log", f"{json.dumps((result.get('connector_log_counts') or {}).get('levels'))} "
                                  f"({result.get('connector_log')})"))
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def print_comparison(results: list[dict]) -> None:
    """The measured (rate-limited) runs side by side: issue 5 item 4."""
    def row(result):
        c, s = result.get("api_calls") or {}, result.get("sync") or {}
        lat = (result.get("webhook") or {}).get("latency_ms_from_scheduled") or {}
        per = c.get("per_detractor") or {}
        floor = s.get("rate_limit_minimum") or {}
        dup = result.get("duplicates_and_completeness") or {}
        return {
            "API calls per detractor (target <= 1.2)":
                f"{per.get('all')} (Z {per.get('zendesk')}, H {per.get('hubspot')})",
            "API calls in all (Z + H)": f"{c.get('zendesk', {}).get('total')} + {c.get('hubspot', {}).get('total')}",
            "429 share of calls (target < 1%)": f"{c.get('429_share_of_calls', 0) * 100:.2f}%",
            "synced after (s)": str(s.get("seconds_first_send_to_last_vendor_call")),
            "rate-limit minimum (s)": f"{floor.get('seconds')} ({floor.get('bound_by')})",
            "measured / minimum (target <= 1.25)": str(s.get("measured_over_minimum")),
            "last answer accepted at (s)": str(s.get("last_answer_accepted_at_seconds")),
            "measured / max(minimum, arrival)": str(s.get("measured_over_max_minimum_and_arrival")),
            "webhook p50 / p99 (ms)": f"{lat.get('p50')} / {lat.get('p99')}",
            "exactly 1 ticket / 1 contact / 8 tasks": str(dup.get("exactly_1_1_8")),
            "jobs dead": str(result.get("jobs_dead")),
        }
    rows = [row(r) for r in results]
    names = [r["mode"] for r in results]
    width = max(len(k) for k in rows[0])
    cols = [max(len(n), *(len(r[k]) for k in r)) for n, r in zip(names, rows, strict=True)]
    print("\n  comparison, same campaign, same run")
    print(f"  {'':<{width}}  " + "  ".join(f"{n:<{w}}" for n, w in zip(names, cols, strict=True)))
    for key in rows[0]:
        print(f"  {key:<{width}}  " + "  ".join(f"{r[key]:<{w}}" for r, w in zip(rows, cols, strict=True)))


def is_sound(result: dict) -> bool:
    """No lost answer, no non-202, no dead job, and (when synced) exactly 1/1/8 and all cases synced."""
    ok = (result.get("answers_lost") == 0 and result.get("jobs_dead") == 0
          and set(result["webhook"]["statuses"]) <= {"202"})
    if "duplicates_and_completeness" in result:
        ok = ok and result["sync"]["outcome"] == "synced" and result["duplicates_and_completeness"]["exactly_1_1_8"] \
            and set(result["cases"]["sync_status"]) <= {"synced"}
    return ok
