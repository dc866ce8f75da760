"""What the screens share: signed tokens, the runtime, and a case's stages as rows.

Browsers never hold the admin token. The sidebar gets short-lived tokens
signed with itsdangerous (one for the Zendesk installation, one per case);
the dashboard keeps a signed, HttpOnly, SameSite=Strict cookie that carries
a CSRF token. The signing key is ``RECOVERY_UI_SECRET_KEY`` or, by default,
derived from the admin token, so every web process agrees on it.
No blueprint here: the route modules import this one, never the reverse.
"""
import hashlib
import hmac
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select

from connector.domain.policies import Policies, stage_asks
from connector.ports.keys import ZENDESK_FOLLOWUP_FOR, ZENDESK_TICKET, case_id_of_scope, followup_for_key
from connector.store.models import Case, SideEffect
from connector.web.current import runtime

SIDEBAR_TTL = 15 * 60      # a sidebar token outlives the page load, not the agent's shift
CASE_TTL = 15 * 60


def _key() -> bytes:
    configured = current_app.config.get("UI_SECRET_KEY")
    if configured:
        return str(configured).encode()
    admin = str(current_app.config.get("ADMIN_TOKEN") or "")
    if not admin:
        raise RuntimeError("set RECOVERY_UI_SECRET_KEY or RECOVERY_ADMIN_TOKEN to use the screens")
    return hmac.new(admin.encode(), b"recovery-ui-session-key", hashlib.sha256).digest()


def serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_key(), salt=f"recovery-ui:{purpose}")


def issue(purpose: str, payload: dict) -> str:
    return serializer(purpose).dumps(payload)


def read(purpose: str, token: str | None, max_age: int) -> dict | None:
    if not token:
        return None
    try:
        return serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None



def now() -> datetime:
    return runtime().clock()


def case_for_ticket(session, ticket_id: int, tenant_id: str = "default") -> Case | None:
    """The case whose recovery ticket (or an earlier ticket it followed up) is ``ticket_id``."""
    case = session.scalar(select(Case).where(Case.tenant_id == tenant_id, Case.zendesk_ticket_id == ticket_id)
                          .order_by(Case.id.desc()))
    if case is not None:
        return case
    scope = session.scalar(select(SideEffect.scope).where(or_(
        SideEffect.key == followup_for_key(ticket_id),
        (SideEffect.external_id == str(ticket_id)) & (
            (SideEffect.key == ZENDESK_TICKET) | SideEffect.key.startswith(ZENDESK_FOLLOWUP_FOR)))))
    case_id = case_id_of_scope(scope)
    if case_id is not None:
        found = session.get(Case, case_id)
        return found if found is not None and found.tenant_id == tenant_id else None
    return None


def stage_rows(case: Case, moment: datetime, policies: Policies) -> list[dict]:
    """The case's stages as the agent reads them: the admin's titles, the asks of the case's playbook."""
    rows = []
    asks = stage_asks(case.profile, case.value_tier, policies)
    closed = case.status != "open"
    for stage in case.stages:
        # A closed case's unfinished stages will never be done: skipped, neither late nor to do.
        skipped = closed and stage.status != "done"
        late = not skipped and (stage.status == "overdue" or (stage.status != "done" and stage.due_at < moment))
        status = "skipped" if skipped else "overdue" if late else stage.status
        rows.append({"key": stage.key, "title": policies.protocol[stage.key].label, "ask": asks[stage.key],
                     "stage_title": policies.protocol[stage.key].title, "due_at": stage.due_at,
                     "status": status, "overdue": late, "skipped": skipped,
                     "done": stage.status == "done", "completed_at": stage.completed_at,
                     "compensation": (stage.details or {}).get("compensation"),
                     "resurvey": (stage.details or {}).get("resurvey")})
    return rows


def next_stage(case: Case) -> Case | None:
    return next((s for s in case.stages if s.status != "done"), None)
