"""Readers see what the worker would have made: before a screen or the admin API reads, the
answers not fed yet are fed (``cases.feeding``: each one's job and delivery-log row), then the
cases whose ``case.plan`` has yet to run are planned (``cases.planning.plan_waiting``).

The webhook commits only what its answer needs (issue 16): the rest is the worker's,
milliseconds after the 202. A client reading in those milliseconds, or while no worker runs,
would miss the delivery in the log or see a case half made; with this hook it never does. It
costs a reader two probes of partial indexes that are empty almost always.
"""
import logging

from flask import Blueprint, request

from connector.cases import feeding, planning
from connector.web.current import runtime

log = logging.getLogger(__name__)


def plan_before_reading(bp: Blueprint) -> Blueprint:
    """Add the hook after the blueprint's own checks (``admin_required``): a refused request
    feeds and plans nothing. Static files read nothing of it."""
    @bp.before_request
    def _plan_waiting():
        if (request.endpoint or "").endswith(".static"):
            return
        try:
            feeding.feed_answers(runtime())
            planning.plan_waiting(runtime())
        except Exception as exc:  # the worker feeds and plans them (or retries) anyway: the read goes on
            # The type only: a database error's text may carry the row's values.
            log.warning("waiting answers or cases not settled before a read: %s", type(exc).__name__)
    return bp
