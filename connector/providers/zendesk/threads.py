"""zenpy's endpoints keep the object they last sent per thread, not per endpoint.

zenpy (2.0.57) remembers the object a request serialises on the endpoint it went through
(``BaseApi._dirty_object``: ``client.tickets``, shared by every thread of a worker) and, when
*any* response on that endpoint is handled, marks that object clean. Two worker threads creating
tickets through one client at once: the first's answer cleaned the second's ticket while it was
still being serialised, and its requester and comment went out empty (Zendesk: 422 RecordInvalid
``comment``, ``requester``; the job went dead, its case never got a ticket). Caught by the
SIGKILL test once new cases were planned in two groups and synced by two threads at once.

Kept per thread, each request cleans only what its own thread sent.
"""
import threading

from zenpy.lib.api import BaseApi


class _LastSent(threading.local):
    value = None


def _get(api: BaseApi):
    return api.__dict__.setdefault("_recovery_last_sent", _LastSent()).value


def _set(api: BaseApi, value) -> None:
    api.__dict__.setdefault("_recovery_last_sent", _LastSent()).value = value


def keep_last_sent_per_thread() -> None:
    """Once per process, before any client is built (``BaseApi.__init__`` sets the attribute)."""
    if not isinstance(BaseApi.__dict__.get("_dirty_object"), property):
        BaseApi._dirty_object = property(_get, _set)  # type: ignore[attr-defined]
