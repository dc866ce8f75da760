"""Job kinds and their handlers. Feature modules register themselves here, so
each feature (initial sync, stage completion, escalation, …) lives in its own
module and the worker only knows this table."""
HANDLERS: dict = {}
CASE_JOBS: set[str] = set()  # kinds whose ref_id is a case id (a dead one marks the case failed)

# Modules that register handlers; imported once by load().
FEATURE_MODULES = ("connector.sync", "connector.protocol.stages", "connector.protocol.followup",
                   "connector.protocol.deadlines", "connector.protocol.outcome", "connector.protocol.alerts")


def handler(kind: str, *, case_job: bool = False):
    def register(function):
        HANDLERS[kind] = function
        if case_job:
            CASE_JOBS.add(kind)
        return function
    return register


def load() -> dict:
    import importlib

    for name in FEATURE_MODULES:
        importlib.import_module(name)
    return HANDLERS
