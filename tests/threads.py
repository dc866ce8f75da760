"""Run the same work in several threads at once and surface what any of them raised."""
import threading


def race(work, count: int = 4) -> list[Exception]:
    """``work(name)`` in ``count`` threads released together; returns what they raised (a lock
    error or a job handed to two workers would be a bug, so tests assert this is empty)."""
    barrier, errors = threading.Barrier(count), []

    def run(name: str) -> None:
        barrier.wait()
        try:
            work(name)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
