"""HubSpot webhook events -> stage completions, promises kept, and privacy erasure.

HubSpot batches events (up to 100 per request). A recovery task set to
COMPLETED completes its stage (a promise's task: the promise is kept);
``contact.privacyDeletion`` erases the person.
"""
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.cases import promises
from connector.cases.context import CaseContext
from connector.cases.privacy import erase_contact
from connector.cases.transitions import complete_stage
from connector.ports.keys import HUBSPOT_PROMISE_TASK, HUBSPOT_TASK, case_id_of_scope, stage_of_task_key
from connector.store.db import transaction
from connector.store.models import Case, SideEffect

log = logging.getLogger(__name__)
TASK_OBJECT_TYPE = "0-27"
PRIVACY_DELETION = {"contact.privacyDeletion", "object.privacyDeletion"}


def _is_task_completion(event: dict[str, Any]) -> bool:
    kind = event["subscriptionType"]
    is_task = kind.startswith("task.") or (kind.startswith("object.") and event.get("objectTypeId") == TASK_OBJECT_TYPE)
    return (is_task and kind.endswith("propertyChange") and event.get("propertyName") == "hs_task_status"
            and event.get("propertyValue") == "COMPLETED")


def _complete_task(rt: CaseContext, session: Session, task_id: str) -> bool:
    effects = session.scalars(select(SideEffect).where(
        or_(SideEffect.key.startswith(HUBSPOT_TASK), SideEffect.key.startswith(HUBSPOT_PROMISE_TASK)),
        SideEffect.external_id == task_id)).all()
    for effect in effects:  # object ids are per portal: keep the one of this event's tenant
        case = session.get(Case, case_id_of_scope(effect.scope))
        if case is not None and case.tenant_id == rt.tenant_id and effect.key.startswith(HUBSPOT_PROMISE_TASK):
            promise_id = int(effect.key[len(HUBSPOT_PROMISE_TASK):])
            return promises.keep(session, case, promise_id, rt.clock()) is not None
        stage = stage_of_task_key(effect.key)
        if case is not None and case.tenant_id == rt.tenant_id and stage is not None:
            return complete_stage(session, case, stage, rt.clock(), source="hubspot")
    return False  # not one of this tenant's recovery tasks


def handle(rt: CaseContext, events: list[dict[str, Any]],
           tenant_of: Callable[[Any], str | None] = lambda portal_id: "default") -> tuple[str, str | None]:
    """``tenant_of(portalId)`` names the tenant that installed the portal (None: not ours)."""
    handled = ignored = 0
    # Look the portals up first: tenant_of reads in its own transaction, which must not wait on
    # this one's write lock (SQLite: one writer).
    tenants = {portal: tenant_of(portal) for portal in {event.get("portalId") for event in events}}
    runtimes = {tenant: rt.for_tenant(tenant) for tenant in tenants.values() if tenant is not None}
    with transaction(rt.sessions) as session:
        for event in events:
            tenant = tenants[event.get("portalId")]
            if tenant is None:
                ignored += 1
                continue
            trt = runtimes[tenant]
            if _is_task_completion(event):
                if _complete_task(trt, session, str(event["objectId"])):
                    handled += 1
                else:
                    ignored += 1
            elif event["subscriptionType"] in PRIVACY_DELETION and event.get("objectTypeId") in (None, "0-1"):
                erase_contact(session, str(event["objectId"]), rt.clock(), tenant_id=tenant)
                handled += 1
            else:
                ignored += 1
    outcome = "accepted" if handled else "ignored"
    return outcome, f"{handled} handled, {ignored} ignored of {len(events)} event(s)"
