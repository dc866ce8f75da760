"""Readers see planned cases: before a screen or the admin API reads, the cases whose
``case.plan`` has yet to run are planned (``cases.planning.plan_waiting``).

A new case's profile, cause and stages are the worker's, milliseconds after the 202 (issue 16:
the webhook commits only what its answer needs). A client reading the case in those
milliseconds, or while no worker runs, would see it half made; with this hook it never does.
It costs a reader one probe of a partial index that is empty almost always.
"""
import logging

from flask import Blueprint, request

from connector.cases import planning
from connector.web.current import runtime

log = logging.getLogger(__name__)


def plan_before_reading(bp: Blueprint) -> Blueprint:
    """Add the hook after the blueprint's own checks (``admin_required``): a refused request
    plans nothing. Static files read no case."""
    @bp.before_request
    def _plan_waiting():
        if (request.endpoint or "").endswith(".static"):
            return
        try:
            planning.plan_waiting(runtime())
        except Exception as exc:  # the worker plans them (or retries) anyway: the read goes on
            # The type only: a database error's text may carry the row's values.
            log.warning("waiting cases not planned before a read: %s", type(exc).__name__)
    return bp
