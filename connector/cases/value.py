"""The customer's value from HubSpot, when the survey payload carries none.

Runs before either vendor sync (intake enqueues it instead of them), so the
ticket's priority and the owner are right from the first call. If HubSpot has
no value, the case keeps the standard tier it opened with.
"""
import logging

from connector.cases.context import CaseContext
from connector.cases.shared import row
from connector.cases.transitions import alert_on_open, assess_value, enqueue_sync
from connector.jobs.queue import ClaimedJob, complete
from connector.store.db import transaction
from connector.store.models import Answer, Case

log = logging.getLogger(__name__)


def lookup_lifetime_value(rt: CaseContext, job: ClaimedJob) -> None:
    with transaction(rt.sessions) as session:
        email = row(session, Case, job.ref_id).customer_email
    source = rt.rules.get("lifetime_value_from_hubspot")
    value = rt.hubspot.lifetime_value(email, source) if rt.hubspot is not None and source else None
    with transaction(rt.sessions) as session:
        case = row(session, Case, job.ref_id)
        if value is not None:
            assess_value(case, row(session, Answer, case.opening_answer_id), value, rt.policies)
            alert_on_open(session, case)  # the value may make the case critical
        enqueue_sync(session, case)
        complete(session, job, rt.clock())
    log.info("lifetime value looked up case_id=%s found=%s tier=%s", job.ref_id, value is not None, case.value_tier)
    rt.notify()
