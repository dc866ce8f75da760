"""Admin dashboard ``/dashboard``: cases by stage, overdue stages, recovery by delay, deliveries, settings.

Login with the admin token in a form (never a URL); the answer is a signed
cookie (Secure, HttpOnly, SameSite=Strict, 8 h) holding a CSRF token that every
POST form must send back, and the id of a server-side sign-in that "Log out"
ends (``store/admin_sessions.py``). Wrong tokens are throttled per address.
"""
import dataclasses
import hmac
import json
import secrets
from collections import Counter
from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from connector.cases.reporting import metrics_report
from connector.cases.shared import replay_dead_job
from connector.domain.metrics import BUCKETS
from connector.installs import DEFAULT_TENANT
from connector.installs.crypto import EncryptionNotConfigured, UnreadableSecret
from connector.installs.store import tenant_secrets
from connector.store import admin_sessions
from connector.store.db import reading, transaction
from connector.store.models import Answer, Case, Delivery, Job
from connector.store.tenancy import Tenant
from connector.web.current import runtime
from connector.web.deliveries import dead_jobs_behind
from connector.web.systemic_issues import issues_json
from connector.web.throttle import record_failure, too_many
from connector.web.ui.blueprint import bp
from connector.web.ui.common import issue, next_stage, now, read, stage_rows
from connector.web.ui.dashboard_cases import case_page, cases_of_deliveries, customer_names

COOKIE, COOKIE_TTL = "recovery_admin", 8 * 3600


def dashboard_admin() -> dict | None:
    """The signed-in admin's cookie, if it is signed, fresh and its sign-in not ended (logged out)."""
    cookie = read("dashboard", request.cookies.get(COOKIE), COOKIE_TTL)
    if cookie is None or not cookie.get("sid"):  # a cookie from before server-side sessions: sign in again
        return None
    with reading(runtime().sessions) as db:
        return cookie if admin_sessions.is_live(db, cookie["sid"], now()) else None


def _require_csrf(session: dict) -> None:
    offered = request.form.get("csrf_token", "")
    if not hmac.compare_digest(offered.encode(), session["csrf"].encode()):
        abort(400, description="missing or stale CSRF token: reload the page")


def _local_path(value: str | None) -> str:
    """``next`` when it is a path on this site, else the dashboard. Browsers (and werkzeug) drop
    tabs and newlines from a URL, so ``/<TAB>/evil.example`` is ``//evil.example``: no control
    character or space is accepted at all, nor a backslash (``/\\evil.example`` in some browsers)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or any(c.isspace() or not c.isprintable() for c in value):
        return url_for("ui.dashboard")
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else url_for("ui.dashboard")


@bp.route("/dashboard/login", methods=["GET", "POST"])
def dashboard_login():
    if request.method == "GET":
        return render_template("login.html", error=None, next_path=request.args.get("next", ""))
    if (refused := too_many()) is not None:
        wait = {"Retry-After": refused[0].headers["Retry-After"]}
        return render_template("login.html", error="Too many wrong tokens: wait a minute and try again.",
                               next_path=request.form.get("next", "")), 429, wait
    token = str(runtime().config.get("ADMIN_TOKEN") or "")
    offered = request.form.get("token", "")
    if not token or not hmac.compare_digest(offered.encode(), token.encode()):
        record_failure()
        return render_template("login.html", error="That token is not the admin token.",
                               next_path=request.form.get("next", "")), 401
    session_id = secrets.token_urlsafe(32)
    with transaction(runtime().sessions) as db:
        admin_sessions.start(db, session_id, now(), COOKIE_TTL)
    response = redirect(_local_path(request.form.get("next")), code=303)
    response.set_cookie(COOKIE, issue("dashboard", {"csrf": secrets.token_urlsafe(24), "sid": session_id}),
                        max_age=COOKIE_TTL, secure=True, httponly=True, samesite="Strict", path="/")
    return response


@bp.post("/dashboard/logout")
def dashboard_logout():
    session = dashboard_admin()
    if session is not None:
        _require_csrf(session)
        with transaction(runtime().sessions) as db:  # every copy of the cookie stops working now
            admin_sessions.end(db, session["sid"], now())
    response = redirect(url_for("ui.dashboard_login"), code=303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
    return response


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _settings(tenant: str) -> dict:
    rt = runtime()
    policies = rt.directory.policies(tenant, rt.policies) if rt.directory else rt.policies
    routing = {tier: [{"name": o.name, "email": o.email, "hubspot_owner": o.hubspot_owner} for o in owners]
               for tier, owners in policies.routing.tiers.items()}
    settings = {"rules": policies.rules, "routing": routing, "compensation": dataclasses.asdict(policies.compensation),
                "protocol": [{"key": s.key, "title": s.title, "offset": str(s.offset), "task_type": s.task_type,
                              "ask": s.ask} for s in policies.protocol],
                "playbooks": policies.playbooks,
                "calls_on_business_hours": bool(rt.config.get("CALLS_ON_BUSINESS_HOURS"))}
    for name, adapter in (("zendesk", rt.zendesk), ("hubspot", rt.hubspot)):
        mapping = getattr(adapter, "mapping", None)
        if dataclasses.is_dataclass(mapping):
            settings[f"{name}_mapping"] = {f.name: _plain(getattr(mapping, f.name))
                                           for f in dataclasses.fields(mapping)}
    settings["survey_mappings"] = sorted(rt.survey_mappings)
    return {key: json.dumps(value, indent=2, default=str, ensure_ascii=False) for key, value in settings.items()}


def _secret_names(db, tenant: str) -> list[str]:
    """Which settings a tenant has set (names only; the environment holds the default's)."""
    if tenant == DEFAULT_TENANT:
        return []
    try:
        return sorted(tenant_secrets(db, runtime().directory.cipher, tenant))
    except (UnreadableSecret, EncryptionNotConfigured):
        return ["(unreadable: check RECOVERY_ENCRYPTION_KEYS)"]


def _chart(rates: dict) -> list[dict]:
    bars = []
    for index, bucket in enumerate(BUCKETS):
        rate = (rates.get(bucket) or {}).get("rate")
        height = round(160 * (rate or 0))
        bars.append({"bucket": bucket, "rate": rate, "x": 40 + index * 90, "y": 190 - height, "height": height,
                     "closed": (rates.get(bucket) or {}).get("closed", 0),
                     "recovered": (rates.get(bucket) or {}).get("recovered", 0)})
    return bars


@bp.get("/dashboard")
def dashboard():
    session = dashboard_admin()
    if session is None:
        return redirect(url_for("ui.dashboard_login", next=request.path), code=303)
    moment, tenant = now(), request.args.get("tenant") or DEFAULT_TENANT
    settings = _settings(tenant)  # reads in its own transaction: before this one takes SQLite's write lock
    with transaction(runtime().sessions) as db:
        # One company at a time: its cases, overdue stages, deliveries, dead jobs and figures.
        others = db.scalars(select(Tenant.id).where(Tenant.id != DEFAULT_TENANT).order_by(Tenant.id))
        tenants = [DEFAULT_TENANT, *others]
        if tenant not in tenants:
            abort(404, description="no such tenant")
        open_cases = db.scalars(select(Case).where(Case.status == "open", Case.tenant_id == tenant)
                                .order_by(Case.id)).all()
        by_stage = Counter((next_stage(c).key if next_stage(c) else "all_done") for c in open_cases)
        overdue = [{"case": c, "stage": row} for c in open_cases for row in stage_rows(c, moment, runtime().policies) if row["overdue"]]
        overdue.sort(key=lambda item: item["stage"]["due_at"])
        deliveries = db.scalars(select(Delivery).where(Delivery.tenant_id == tenant)
                                .order_by(Delivery.received_at.desc(), Delivery.id.desc()).limit(50)).all()
        failed = dead_jobs_behind(db, deliveries)
        dead = db.scalars(select(Job).where(Job.status == "dead", Job.tenant_id == tenant)
                          .order_by(Job.id).limit(100)).all()
        policies = runtime().policies
        report = metrics_report(db, tenant_id=tenant, now=runtime().clock(), causes=policies.causes.keys)
        secrets_set = _secret_names(db, tenant)
        names = customer_names(db, open_cases)
        answered = db.scalar(select(Answer.id).where(Answer.tenant_id == tenant).limit(1)) is not None
        systemic = issues_json(db, tenant)
        return render_template("dashboard.html", csrf=session["csrf"], open_cases=open_cases, by_stage=by_stage,
                               names=names, delivery_cases=cases_of_deliveries(db, deliveries), answered=answered,
                               overdue=overdue, deliveries=deliveries, failed=failed, dead=dead, report=report,
                               bars=_chart(report["recovery_rate_by_delay"]), settings=settings,
                               stages=runtime().policies.protocol, tenants=tenants, tenant=tenant, secrets_set=secrets_set,
                               systemic=systemic,
                               cause_labels={c.key: c.label("en") for c in policies.causes.causes})


@bp.get("/dashboard/cases/<int:case_id>")
def dashboard_case(case_id: int):
    if dashboard_admin() is None:
        return redirect(url_for("ui.dashboard_login", next=request.path), code=303)
    return case_page(case_id)


def _tenant_shown() -> str | None:
    """The tenant the posting page showed (its forms carry it), to show it again."""
    tenant = request.form.get("tenant")
    return tenant if tenant and tenant != DEFAULT_TENANT else None


def _replay(job_ids) -> int:
    """Queue dead jobs again (each only if still dead); how many were."""
    session = dashboard_admin()
    if session is None:
        abort(401, description="log in to the dashboard first")
    _require_csrf(session)
    rt = runtime()
    with transaction(rt.sessions) as db:
        replayed = sum(replay_dead_job(db, job_id, rt.clock()) for job_id in job_ids(db))
    if replayed:
        rt.notify()
    return replayed


@bp.post("/dashboard/jobs/<int:job_id>/replay")
def dashboard_replay(job_id: int):
    replayed = _replay(lambda db: [job_id])
    return redirect(url_for("ui.dashboard", tenant=_tenant_shown(), replayed=job_id if replayed else None)
                    + "#deliveries", code=303)


@bp.post("/dashboard/deliveries/<int:delivery_id>/replay")
def dashboard_replay_delivery(delivery_id: int):
    """The delivery log's Replay: every dead job behind one delivery's answer, queued again."""
    def behind(db):
        delivery = db.get(Delivery, delivery_id)
        return dead_jobs_behind(db, [delivery]).get(delivery_id, []) if delivery else []

    replayed = _replay(behind)
    return redirect(url_for("ui.dashboard", tenant=_tenant_shown(), delivery=delivery_id, requeued=replayed)
                    + "#delivery-log", code=303)
