"""The dashboard's view of single cases: ``/dashboard/cases/<id>`` (the whole case, read only, with
links to its Zendesk ticket), and the names and case links the dashboard's lists show.

The case page renders the sidebar's partials (``templates/sidebar/``) in English and UTC with
``readonly`` set: the admin reads the case as the agent does, and acts in Zendesk or HubSpot.
"""
from flask import abort, render_template
from sqlalchemy import select

from connector.store.db import reading
from connector.store.models import Answer, Case
from connector.web.current import runtime
from connector.web.ui.case_story import case_story
from connector.web.ui.common import now, stage_rows
from connector.web.ui.texts import words_for


def customer_names(db, cases) -> dict[int, str | None]:
    """Case id -> the customer's name from the answer that opened it (one query for the list)."""
    opening = {c.opening_answer_id: c.id for c in cases if c.opening_answer_id}
    if not opening:
        return {}
    rows = db.execute(select(Answer.id, Answer.customer_name).where(Answer.id.in_(opening)))
    return {opening[row.id]: row.customer_name for row in rows}


def cases_of_deliveries(db, deliveries) -> dict[int, int]:
    """Delivery id -> the case its answer opened or joined, updated (interim) or closed, where there is one."""
    wanted = {(d.tenant_id, d.response_id) for d in deliveries if d.response_id}
    if not wanted:
        return {}
    rows = [r for r in db.execute(select(Answer.id, Answer.tenant_id, Answer.response_id, Answer.case_id,
                                         Answer.interim_case_id)
                                  .where(Answer.response_id.in_({r for _, r in wanted})))
            if (r.tenant_id, r.response_id) in wanted]
    loose = {r.id for r in rows if not (r.case_id or r.interim_case_id)}
    closed_by = {row.closing_answer_id: row.id for row in
                 db.execute(select(Case.closing_answer_id, Case.id).where(Case.closing_answer_id.in_(loose)))} \
        if loose else {}
    case_of = {(r.tenant_id, r.response_id): r.case_id or r.interim_case_id or closed_by.get(r.id) for r in rows}
    return {d.id: case_of[(d.tenant_id, d.response_id)] for d in deliveries
            if case_of.get((d.tenant_id, d.response_id))}


def case_page(case_id: int):
    """``/dashboard/cases/<id>`` (routed in ``dashboard``, behind its sign-in): the whole case."""
    rt = runtime()
    with reading(rt.sessions) as db:
        case = db.get(Case, case_id)
        if case is None:
            abort(404, description=f"no case {case_id}")
        policies = rt.directory.policies(case.tenant_id, rt.policies) if rt.directory else rt.policies
        ticket_url = rt.zendesk.ticket_url(case.zendesk_ticket_id) if rt.zendesk and case.zendesk_ticket_id else None
        return render_template("dashboard_case.html", case=case, rows=stage_rows(case, now(), policies),
                               story=case_story(db, case, policies), t=words_for("en", "UTC"), readonly=True,
                               ticket_url=ticket_url, closed=case.status != "open",
                               failure_reasons=policies.failure.reasons)
