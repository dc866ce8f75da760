"""Job kinds and what serves them: an instance the application builds and hands the worker.

The queue and the worker know nothing of the application: what a kind does, what happens
to an error (``classify``), what a dead job means (``on_dead``), which periodic tasks run and
what turns committed rows into jobs before each claim (``feeders``: an outbox) are all given
to the registry by whoever builds it (see ``connector.cases.catalog``).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from connector.jobs.queue import ClaimedJob

# A handler gets the context of the job's tenant (whatever the application scopes per tenant).
Handler = Callable[[Any, ClaimedJob], None]
# A group handler serves several due jobs of one kind and tenant; it completes the ones it served
# and returns {job id: exception} for the others (an exception it raises fails them all).
GroupHandler = Callable[[Any, list[ClaimedJob]], dict[int, Exception] | None]


class Verdict(Enum):
    """What the worker does with a job whose handler raised."""

    RETRY = "retry"      # again later, with backoff (or after the Retry-After it carries)
    CANCEL = "cancel"    # the work has no one left to go to: cancelled, never retried
    DEAD = "dead"        # a permanent error: dead at once, waiting for a replay


@dataclass(frozen=True)
class Classified:
    verdict: Verdict
    message: str                       # kept on the job row (the worker redacts secrets first)
    retry_after: float | None = None   # the vendor asked to wait: pacing, no attempt spent
    unexpected: bool = False           # a bug or an unknown library error: logged with its traceback
    # What the worker's log line says of the error: its kind and codes only, never the message,
    # which may quote a value the vendor refused (a comment, an e-mail). The message is on the job.
    label: str = ""


def retry_everything(exc: Exception) -> Classified:
    """The default strategy: every error is unexpected and worth another try."""
    return Classified(Verdict.RETRY, f"{type(exc).__name__}: {exc}", unexpected=True)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: Callable[[], float]  # read at each check: the interval is configuration
    run: Callable[[Any], object]        # gets the worker's (untenanted) context


@dataclass
class Registry:
    classify: Callable[[Exception], Classified] = retry_everything
    on_dead: Callable[[Any, ClaimedJob], None] = lambda context, job: None
    handlers: dict[str, Handler] = field(default_factory=dict)
    groups: dict[str, GroupHandler] = field(default_factory=dict)
    periodic: list[Periodic] = field(default_factory=list)
    # Run before every claim with the worker's (untenanted) context: each queues the jobs of rows
    # committed without them (the webhook's answers) and returns how many rows it fed.
    feeders: list[Callable[[Any], int]] = field(default_factory=list)

    def handler(self, kind: str, function: Handler) -> None:
        self.handlers[kind] = function
        self.groups.pop(kind, None)

    def group(self, kind: str, function: GroupHandler) -> None:
        """A kind one vendor call can serve several of; a lone job is a group of one."""
        self.groups[kind] = function
        self.handlers.pop(kind, None)

    def every(self, name: str, seconds: Callable[[], float], run: Callable[[Any], object]) -> None:
        self.periodic.append(Periodic(name, seconds, run))

    def feed(self, function: Callable[[Any], int]) -> None:
        self.feeders.append(function)

    def is_grouped(self, kind: str) -> bool:
        return kind in self.groups

    def kinds(self) -> set[str]:
        return set(self.handlers) | set(self.groups)
