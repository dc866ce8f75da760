"""SQLite WAL checkpoints off the request path.

SQLite copies the WAL back into the database (a checkpoint, with an fsync) inside
the commit that takes the WAL past 1,000 pages: with intake's ~10 pages that is
about one webhook in a hundred, stalled ~17 ms, and every request queued behind
it too — the whole p99 at 200 req/s. Instead a daemon thread per engine runs a
PASSIVE checkpoint every second (it never waits for, nor blocks, readers and
writers; SQLite releases the GIL meanwhile). The commit-time checkpoint stays as
a backstop, at a higher threshold, should this thread fall behind.

The thread checkpoints on a connection of its own pool (the engine's connect arguments and
PRAGMAs), never one of the engine's: borrowing one made the engine's pool grow to two
connections, which a SQLite pool hands out in turn (first in, first out), so every request
ran on the connection whose page cache the other had just made stale. It read back ~25
pages from the WAL per webhook: a tenth of a web process's CPU per accepted answer.
"""
import logging
import threading
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
BACKSTOP_PAGES = 10_000  # ~40 MB of WAL: a commit checkpoints only past this


def start_checkpoints(engine: Engine, interval: float = INTERVAL_SECONDS) -> threading.Thread:
    """Checkpoint ``engine``'s database until the engine is disposed or collected."""
    stop = threading.Event()
    event.listen(engine, "engine_disposed", lambda _engine: stop.set())
    thread = threading.Thread(target=_run, args=(weakref.ref(engine), stop, interval),
                              name="sqlite-checkpoint", daemon=True)
    thread.start()
    return thread


def checkpoint(engine: Engine, pool: Pool | None = None) -> tuple[int, int, int]:
    """One PASSIVE checkpoint: (busy, WAL pages, pages copied), as SQLite reports them.
    ``pool``: where the connection comes from (the thread's own; by default the engine's)."""
    connection = (pool or engine.pool).connect()
    try:
        return tuple(connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
    finally:
        connection.close()


def _run(engine_ref, stop: threading.Event, interval: float) -> None:
    engine = engine_ref()
    if engine is None:
        return
    pool = engine.pool.recreate()  # same connect arguments and listeners, its own connection
    del engine
    failing = False
    try:
        while not stop.wait(interval):
            engine = engine_ref()
            if engine is None:
                return
            try:
                checkpoint(engine, pool)
                failing = False
            except Exception as exc:  # the backstop still checkpoints; say so once, not every second
                if not failing:
                    log.warning("WAL checkpoint failed (commits will checkpoint): %s", type(exc).__name__)
                failing = True
            del engine  # hold no reference while asleep: the engine may be collected
    finally:
        pool.dispose()
