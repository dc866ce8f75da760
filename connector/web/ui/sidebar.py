"""Zendesk ticket sidebar: ``/zendesk/sidebar`` (signed URL) and its two small endpoints.

1. Zendesk POSTs the app's JWT (``token`` form field) when loading the page;
   it is verified and exchanged for a sidebar token (this installation, 15 min).
2. The page's script asks ZAF for the ticket id and the agent (locale, time zone) and loads
   ``GET /zendesk/sidebar/case?ticket_id=&locale=&tz=`` with that token; the answer is the
   case's HTML, in the agent's language and zone, with a token scoped to that one case.
3. Buttons call ``POST /zendesk/sidebar/cases/<id>/stages/<key>/complete`` ("Mark done" only
   after ``UNDO_SECONDS`` in the page, so it can be taken back) (and
   ``…/promises/<pid>/complete``) with the case token: the admin API's logic, without the
   admin token; on a case closed partial or failed, ``POST /zendesk/sidebar/cases/<id>/failure-reason``
   records why, and ``POST /zendesk/sidebar/cases/<id>/cause`` confirms or changes the cause.
Tokens travel in headers, never cookies (third-party iframes) nor URLs.
"""
import logging

from flask import jsonify, make_response, render_template, request
from marshmallow import ValidationError

from connector.cases import promises, transitions
from connector.cases.causes import record_cause
from connector.cases.failure import NotAFailedCase, record_failure_reason
from connector.domain.causes import CauseChoiceSchema
from connector.domain.compensation import COMPENSATION_TYPES, CompensationRecordSchema, default_gesture
from connector.domain.failure import FailureReasonSchema, asks_for_reason
from connector.domain.promises import MAX_PROMISES, MAX_WHAT, MAX_WHO, load_promises
from connector.domain.react import STAGE_KEYS
from connector.infra import counters
from connector.installs import DEFAULT_TENANT
from connector.store.db import transaction
from connector.store.models import Case
from connector.web.current import runtime
from connector.web.hardening import page_policy
from connector.web.ui.blueprint import bp
from connector.web.ui.case_story import case_story
from connector.web.ui.common import CASE_TTL, SIDEBAR_TTL, case_for_ticket, issue, now, read, stage_rows
from connector.web.ui.texts import words_for
from connector.web.zaf_installation import ZafInstallation, installation_of
from connector.web.zaf_jwt import TokenError, verify_zaf_token

log = logging.getLogger(__name__)
FRAME_POLICY = page_policy(sidebar=True)  # framed by Zendesk's domains only (web/hardening.py)
# "Mark done" waits this long in the page before it is sent: the agent can take a wrong click back
# before anything reaches Zendesk or HubSpot (no undo endpoint, no side effect to reverse).
UNDO_SECONDS = 5


def _framed(response, status: int = 200):
    response = (response, status) if isinstance(response, str) else response
    resp = make_response(response)
    resp.headers["Content-Security-Policy"] = FRAME_POLICY
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _refuse(status: int, message: str):
    return _framed(render_template("sidebar_error.html", message=message), status)


@bp.route("/zendesk/sidebar", methods=["GET", "POST"])
def sidebar():
    key = runtime().config.get("ZENDESK_APP_PUBLIC_KEY")
    if not key:
        return _refuse(503, "The app's public key is not configured (RECOVERY_ZENDESK_APP_PUBLIC_KEY).")
    try:
        claims = verify_zaf_token(request.form.get("token", ""), key, now=now().timestamp())
    except TokenError as exc:  # missing, forged or expired: not authenticated at all
        log.info("sidebar token refused: %s", exc)
        return _refuse(401, "Open this page from the Zendesk ticket sidebar.")
    try:
        installation = installation_of(claims)
    except TokenError as exc:
        # Authentic, but it names no one Zendesk account: fail closed (403), never tenant default.
        log.info("sidebar token names no account: %s", exc)
        counters.ignored("zendesk sidebar: token names no account")
        return _refuse(403, "This token names no Zendesk account.")
    tenant = _tenant_of(installation)
    if tenant is None:
        return _refuse(403, "This Zendesk account has not connected the recovery connector yet.")
    token = issue("sidebar", {"tenant": tenant, "aud": installation.audience})
    return _framed(render_template("sidebar.html", session_token=token))


def _tenant_of(installation: ZafInstallation) -> str | None:
    """The tenant that recorded this installation's account when it connected Zendesk.

    ``RECOVERY_ZENDESK_APP_AUD`` still pins the environment's own account (tenant ``default``) to
    one installation on a self-hosted deployment; it is never another tenant's audience."""
    directory = runtime().directory
    tenant = directory.tenant_of("zendesk", installation.subdomain) if directory is not None else DEFAULT_TENANT
    pinned = runtime().config.get("ZENDESK_APP_AUD")
    if tenant == DEFAULT_TENANT and pinned and pinned != installation.audience:
        counters.ignored("zendesk sidebar: not the pinned installation")
        return None
    if tenant is None:
        counters.ignored("zendesk sidebar: account not installed")
    return tenant


@bp.get("/zendesk/sidebar/case")
def sidebar_case():
    """The case of a ticket, in the agent's language and time zone (``locale``, ``tz``: what
    ZAF's ``currentUser`` says; English and UTC when missing or unknown)."""
    session_claims = read("sidebar", request.headers.get("X-Recovery-Session"), SIDEBAR_TTL)
    if session_claims is None:
        return _refuse(401, "Your sidebar session has expired: reload the app.")
    t = words_for(request.args.get("locale"), request.args.get("tz"))
    try:
        ticket_id = int(request.args.get("ticket_id", ""))
    except ValueError:
        return _refuse(422, "ticket_id must be a number.")
    with transaction(runtime().sessions) as session:
        case = case_for_ticket(session, ticket_id, session_claims["tenant"])
        if case is None:
            return _framed(render_template("sidebar_case.html", case=None, ticket_id=ticket_id, t=t))
        token = issue("case", {"tenant": session_claims["tenant"], "case": case.id})
        rt = runtime()
        policies = rt.directory.policies(case.tenant_id, rt.policies) if rt.directory else rt.policies
        gesture = default_gesture(case.value_tier, case.profile, grid=policies.compensation)
        draft = promises.confirmation(policies, session, case)
        return _framed(render_template("sidebar_case.html", case=case, rows=stage_rows(case, now(), policies),
                                       case_token=token, ticket_id=ticket_id, gesture=gesture, t=t,
                                       story=case_story(session, case, policies), undo_seconds=UNDO_SECONDS,
                                       compensation_types=COMPENSATION_TYPES, confirmation_draft=draft,
                                       promise_limits={"count": MAX_PROMISES, "what": MAX_WHAT, "who": MAX_WHO},
                                       asks_reason=case.status == "closed" and asks_for_reason(case.outcome),
                                       failure_reasons=policies.failure.reasons, causes=policies.causes.causes))


def _case_claims(case_id: int) -> dict | None:
    """The case token's claims (its case and tenant) when it is for this case, else None."""
    claims = read("case", request.headers.get("X-Recovery-Case"), CASE_TTL)
    return claims if claims is not None and claims.get("case") == case_id else None


@bp.post("/zendesk/sidebar/cases/<int:case_id>/stages/<key>/complete")
def sidebar_complete(case_id: int, key: str):
    claims = _case_claims(case_id)
    if claims is None:
        return jsonify(error="unauthorized", message="this token is not for this case"), 401
    if key not in STAGE_KEYS:
        return jsonify(error="not_found", message=f"unknown stage {key}"), 404
    body = request.get_json(silent=True) or {}
    details = None
    if key == "compensation" and body.get("compensation") is not None:
        schema = CompensationRecordSchema()
        try:
            details = {"compensation": schema.dump(schema.load(body["compensation"]))}
        except ValidationError as exc:
            return jsonify(error="validation_failed", fields={"compensation": exc.messages}), 422
    rt = runtime()
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None or case.tenant_id != claims["tenant"]:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        if key not in {s.key for s in case.stages}:  # a held-out case has two stages only
            return jsonify(error="not_found", message=f"case {case_id} has no stage {key} (held out)"), 404
        if key == "action" and body.get("promises") is not None:
            if case.status != "open":  # nothing left to promise on: no tasks, no escalations
                return jsonify(error="conflict", message=f"case {case_id} is closed"), 409
            try:
                promises.record(session, case, load_promises(body["promises"], opened_at=case.opened_at,
                                                             now=rt.clock()), rt.clock(), source="sidebar")
            except ValidationError as exc:
                return jsonify(error="validation_failed", fields=exc.messages), 422
        if promises.chronic_plan_unowned(session, case, key):  # checked after this call's promises
            message = words_for(request.args.get("locale"), None)("error.chronic_plan")
            return jsonify(error="validation_failed", fields={"promises": [message]}), 422
        changed = transitions.complete_stage(session, case, key, rt.clock(), source="sidebar", details=details)
    rt.notify()
    return jsonify(case_id=case_id, stage=key, changed=changed, status="done")


@bp.post("/zendesk/sidebar/cases/<int:case_id>/failure-reason")
def sidebar_failure_reason(case_id: int):
    """The owner's reason for a partial/failed recovery, as the admin API records it."""
    claims = _case_claims(case_id)
    if claims is None:
        return jsonify(error="unauthorized", message="this token is not for this case"), 401
    rt = runtime()
    try:
        recorded = FailureReasonSchema(rt.policies.failure).load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return jsonify(error="validation_failed", fields=exc.messages), 422
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None or case.tenant_id != claims["tenant"]:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        try:
            record_failure_reason(session, case, recorded, rt.clock(), source="sidebar")
        except NotAFailedCase as exc:
            return jsonify(error="conflict", message=str(exc)), 409
    rt.notify()
    return jsonify(case_id=case_id, failure_reason=recorded["reason"])


@bp.post("/zendesk/sidebar/cases/<int:case_id>/cause")
def sidebar_cause(case_id: int):
    """The agent confirms the suggested cause or picks another (the admin API's logic)."""
    claims = _case_claims(case_id)
    if claims is None:
        return jsonify(error="unauthorized", message="this token is not for this case"), 401
    rt = runtime()
    body = request.get_json(silent=True)
    try:
        chosen = CauseChoiceSchema(rt.policies.causes).load(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        return jsonify(error="validation_failed", fields=exc.messages), 422
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None or case.tenant_id != claims["tenant"]:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        changed = record_cause(session, case, chosen["cause"], rt.clock(), source="sidebar")
    rt.notify()
    return jsonify(case_id=case_id, cause=chosen["cause"], changed=changed)


@bp.post("/zendesk/sidebar/cases/<int:case_id>/promises/<int:promise_id>/complete")
def sidebar_keep_promise(case_id: int, promise_id: int):
    """The agent marks a promise kept (the admin API's logic, with the case token)."""
    claims = _case_claims(case_id)
    if claims is None:
        return jsonify(error="unauthorized", message="this token is not for this case"), 401
    rt = runtime()
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        kept = promises.keep(session, case, promise_id, rt.clock()) if case and case.tenant_id == claims["tenant"] \
            else None
        if kept is None:
            return jsonify(error="not_found", message=f"no promise {promise_id} on case {case_id}"), 404
    rt.notify()
    return jsonify(case_id=case_id, promise_id=promise_id, status="kept")

