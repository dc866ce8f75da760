"""Sending many inputs to a HubSpot batch endpoint so one bad input fails alone.

A ``ChunkRun`` decides which chunk goes next; the caller sends it and reports the answer
(``answered``: {objectWriteTraceId: result or exception}) or the error (``refused``). The
caller keeps the loop, so this module never calls back into it:

    run = ChunkRun(inputs, limit)
    for chunk in run:
        with run.sending(chunk):      # a SyncError raised in here is run.refused(chunk, error)
            run.answered(chunk, send(chunk))
    run.outcomes                      # {objectWriteTraceId: result or exception}, every input

* Up to ``limit`` inputs per call (HubSpot's batch limit is 100; 1 is the naive mode).
* A whole-batch 4xx is HubSpot refusing one bad input for everyone (upserts and untraced
  creates are all or nothing): the chunk is split in halves until the poison input is
  alone, so it fails alone and the others land. Traced creates answer 207 instead, naming
  each rejected input (``rejected``). A retryable error (429, 5xx, our own pacing) stops
  the run: every input not yet sent fails with it and comes back later, nothing is sent
  into a wall.
* Except a 5xx on an idempotent call (contact upsert, links): one input HubSpot chokes on
  would otherwise drag every answer batched with it through each of its retries. The chunk
  is sent again in halves, level by level, only failing parts split further, until the
  poison input fails alone (about 2·log2(n) calls); when every part of a level of 4 or more
  fails it is an outage and the run stops as above (1 + 2 + 4 = 7 calls into the wall).
"""
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector.infra.slices import in_slices
from connector.ports.errors import PermanentError, SyncError

log = logging.getLogger(__name__)

NO_SPLIT = {401, 403}  # the token, not an input: splitting would only repeat the refusal

Input = dict[str, Any]                     # one input of a batch request body
ByTrace = dict[str, Any]                   # objectWriteTraceId -> result or exception


class ChunkRun:
    def __init__(self, inputs: list[Input], limit: int, *, idempotent: bool = False):
        self.outcomes: ByTrace = {}
        self._pending = in_slices(inputs, limit)
        self._idempotent = idempotent
        self._narrowing: list[Input] = []      # the chunk a 5xx is being narrowed down in
        self._level: list[list[Input]] = []    # this level's parts still to send
        self._failing: list[tuple[list[Input], SyncError]] = []  # this level's parts that got a 5xx
        self._level_size = 0

    def __iter__(self) -> Iterator[list[Input]]:
        while (chunk := self.next()) is not None:
            yield chunk

    @contextmanager
    def sending(self, chunk: list[Input]) -> Iterator[None]:
        try:
            yield
        except SyncError as exc:
            self.refused(chunk, exc)

    def next(self) -> list[Input] | None:
        """The chunk to send now; None when every input has its outcome."""
        while not self._level and self._failing:
            self._split_failing()
        if self._level:
            return self._level[0]
        return self._pending[0] if self._pending else None

    def answered(self, chunk: list[Input], outcomes: ByTrace) -> None:
        self.outcomes.update(outcomes)
        (self._level if self._level else self._pending).pop(0)

    def refused(self, chunk: list[Input], exc: SyncError) -> None:
        if self._level:
            self._level.pop(0)
            if not _server_error(exc):
                self._stop(exc)  # a 429 or our own pacing on the way: nothing more into the wall
                return
            self._failing.append((chunk, exc))
            if not self._level and self._level_size >= 4 and len(self._failing) == self._level_size:
                self._stop(exc)  # every part of a wide level failed: an outage, not one input
            return
        self._pending.pop(0)
        if isinstance(exc, PermanentError):
            if len(chunk) > 1 and exc.status not in NO_SPLIT:
                half = len(chunk) // 2
                self._pending[:0] = [chunk[:half], chunk[half:]]
                log.info("hubspot batch of %d refused as a whole: sending it in halves", len(chunk))
                return
            self.outcomes.update(_failed(chunk, exc))
            return
        if self._idempotent and len(chunk) > 1 and _server_error(exc):
            log.info("hubspot batch of %d failed with a 5xx: narrowing it down to the failing inputs", len(chunk))
            self._narrowing, self._failing, self._level_size = chunk, [(chunk, exc)], 0
            return
        self._narrowing = chunk
        self._stop(exc)

    def _split_failing(self) -> None:
        """The next level of halves of the parts that failed (a part of one input fails alone)."""
        parts: list[list[Input]] = []
        for part, error in self._failing:
            if len(part) == 1:
                self.outcomes.update(_failed(part, error))
            else:
                parts += [part[:len(part) // 2], part[len(part) // 2:]]
        self._failing, self._level, self._level_size = [], parts, len(parts)

    def _stop(self, wall: SyncError) -> None:
        """Every input not yet answered fails with ``wall`` and comes back later."""
        for rest in [self._narrowing, *self._pending]:
            self.outcomes.update({i["objectWriteTraceId"]: wall for i in rest
                                  if i["objectWriteTraceId"] not in self.outcomes})
        self._pending, self._level, self._failing, self._narrowing = [], [], [], []


def _server_error(exc: SyncError) -> bool:
    return (exc.status or 0) >= 500


def _failed(chunk: list[Input], exc: Exception) -> ByTrace:
    return {i["objectWriteTraceId"]: exc for i in chunk}


def rejected(response: Any) -> ByTrace:
    """A 207's per-input errors, by the objectWriteTraceId HubSpot names in their context."""
    out: ByTrace = {}
    for error in getattr(response, "errors", None) or []:
        message = f"HubSpot refused this input: {error.category or 'error'}"
        for trace in (error.context or {}).get("objectWriteTraceId", []):
            out[trace] = PermanentError(message)
    return out
