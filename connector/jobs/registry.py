"""Job kinds and their handlers. Feature modules register themselves here, so
each feature (initial sync, stage completion, escalation, …) lives in its own
module and the worker only knows this table."""
HANDLERS: dict = {}
GROUP_HANDLERS: dict = {}  # kinds served in groups (see group_handler)
CASE_JOBS: set[str] = set()  # kinds whose ref_id is a case id (a dead one marks the case failed)

# Modules that register handlers; imported once by load().
FEATURE_MODULES = ("connector.cases.zendesk_sync", "connector.cases.hubspot_sync", "connector.cases.stages",
                   "connector.cases.followup", "connector.cases.deadlines", "connector.cases.outcome", "connector.cases.alerts",
                   "connector.cases.value")


def handler(kind: str, *, case_job: bool = False, needs: str | None = None):
    """Register ``function`` for ``kind``. ``needs`` names a vendor (``zendesk``, ``hubspot``,
    ``chat``): when the install has not connected it, the job completes without a call."""
    def register(function):
        def run(rt, job):
            if needs is not None and getattr(rt, needs) is None:
                from connector.jobs.queue import finish
                return finish(rt, job)
            return function(rt, job)
        run.__name__, run.__doc__ = function.__name__, function.__doc__
        HANDLERS[kind] = run
        if case_job:
            CASE_JOBS.add(kind)
        return function
    return register


def group_handler(kind: str, *, case_job: bool = False):
    """Register ``function(rt, jobs)`` for a kind one vendor call can serve several of.

    ``jobs`` are due jobs of this kind and of ONE tenant (see ``queue.claim_group``), so the
    worker can hand the function a runtime scoped to that tenant. The function completes the
    jobs it served and returns ``{job id: exception}`` for those it could not; an exception it
    raises fails the whole group. ``HANDLERS[kind]`` runs it for a single job.
    """
    def register(function):
        def run_one(rt, job):
            failed = function(rt, [job]) or {}
            if job.id in failed:
                raise failed[job.id]
        run_one.__name__, run_one.__doc__ = function.__name__, function.__doc__
        HANDLERS[kind] = run_one
        GROUP_HANDLERS[kind] = function
        if case_job:
            CASE_JOBS.add(kind)
        return function
    return register


def load() -> dict:
    import importlib

    for name in FEATURE_MODULES:
        importlib.import_module(name)
    return HANDLERS
