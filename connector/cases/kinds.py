"""The job kinds of the use cases, by what their ``ref_id`` names.

A dead case job marks its case failed; privacy erasure cancels the pending jobs of a person's
answers and cases. ``catalog`` registers a handler for exactly these kinds (tested).
"""
ANSWER_KINDS = frozenset({"hubspot.sync_answer", "signals.answer", "hubspot.company_rollup"})
# Weak signals (ref: a ``signal_alerts`` row, or the ``ticket_creations`` row that reached the
# threshold) and the weekly digest (ref: a ``digest_claims`` row): no case behind them.
SIGNAL_KINDS = frozenset({"signals.tickets", "hubspot.signal_task", "chat.signal"})
DIGEST_KINDS = frozenset({"hubspot.digest", "chat.digest"})
# The tenant's ticket-history index (ref 0: the job's tenant is all it needs; ``cases.ticket_index``).
INDEX_KINDS = frozenset({"zendesk.ticket_index", "zendesk.index_requester"})
CASE_KINDS = frozenset({
    "zendesk.sync_case", "hubspot.sync_case", "hubspot.link_ticket", "hubspot.case_note", "chat.new_case",
    "hubspot.lifetime_value", "zendesk.stage_update", "hubspot.stage_update", "zendesk.followup",
    "zendesk.close_case", "hubspot.close_case", "zendesk.interim_note", "zendesk.escalate", "hubspot.escalate", "chat.overdue",
    "hubspot.promise_tasks", "zendesk.promise_note", "zendesk.promise_overdue", "chat.promise_overdue",
    "zendesk.priority_support", "zendesk.priority_support_end",
    "survey.resurvey",
    "hubspot.closing_task",
    "hubspot.rep_heads_up", "hubspot.rep_note",
    "zendesk.cause", "systemic.check", "zendesk.systemic_solved", "hubspot.systemic_solved",
    "case.plan",
})
# Systemic issues (ref: a ``systemic_issues`` row): the problem ticket and the team's chat alert.
SYSTEMIC_KINDS = frozenset({"zendesk.systemic", "chat.systemic"})
# A HubSpot company's roll-up write (ref 0: the company is named in the dedupe key, see
# ``cases.company_writes``). No person behind it: an erasure leaves it, it only recomputes
# the roll-up from what the store still holds.
COMPANY_KINDS = frozenset({"hubspot.company_write"})
