"""Sending many inputs to a HubSpot batch endpoint so one bad input fails alone.

``send(chunk)`` makes one call and answers ``{objectWriteTraceId: result or exception}``;
``in_chunks`` answers that for every input, however the calls went:

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
from collections.abc import Callable
from typing import Any

from connector.infra.slices import in_slices
from connector.ports.errors import PermanentError, SyncError

log = logging.getLogger(__name__)

NO_SPLIT = {401, 403}  # the token, not an input: splitting would only repeat the refusal

Input = dict[str, Any]                     # one input of a batch request body
ByTrace = dict[str, Any]                   # objectWriteTraceId -> result or exception
Send = Callable[[list[Input]], ByTrace]


def in_chunks(inputs: list[Input], limit: int, send: Send, *, idempotent: bool = False) -> ByTrace:
    """``send(chunk)`` -> {trace: result or exception}; returns that for every input's trace."""
    outcomes: ByTrace = {}
    pending = in_slices(inputs, limit)
    while pending:
        chunk = pending.pop(0)
        try:
            outcomes.update(send(chunk))
        except PermanentError as exc:
            if len(chunk) > 1 and exc.status not in NO_SPLIT:
                half = len(chunk) // 2
                pending[:0] = [chunk[:half], chunk[half:]]
                log.info("hubspot batch of %d refused as a whole: sending it in halves", len(chunk))
                continue
            outcomes.update(_failed(chunk, exc))
        except SyncError as exc:
            wall: SyncError | None = exc
            if idempotent and len(chunk) > 1 and _server_error(exc):
                wall = _isolate(chunk, exc, send, outcomes)
            if wall is None:
                continue
            for rest in [chunk, *pending]:
                outcomes.update({i["objectWriteTraceId"]: wall for i in rest
                                 if i["objectWriteTraceId"] not in outcomes})
            break
    return outcomes


def _isolate(chunk: list[Input], exc: SyncError, send: Send, outcomes: ByTrace) -> SyncError | None:
    """Narrow a chunk that failed with a 5xx down to its failing inputs, level by level of
    halves, adding every outcome to ``outcomes``. Returns the error that should stop the run:
    a 429 or pacing on the way, or a wall (every part of a level of 4 or more failed)."""
    failing = [(chunk, exc)]
    log.info("hubspot batch of %d failed with a 5xx: narrowing it down to the failing inputs", len(chunk))
    while failing:
        parts = []
        for part, error in failing:
            if len(part) == 1:
                outcomes.update(_failed(part, error))
            else:
                parts += [part[:len(part) // 2], part[len(part) // 2:]]
        failing = []
        for part in parts:
            try:
                outcomes.update(send(part))
            except SyncError as error:
                if not _server_error(error):
                    return error
                failing.append((part, error))
        if parts and len(failing) == len(parts) >= 4:
            return failing[-1][1]
    return None


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
