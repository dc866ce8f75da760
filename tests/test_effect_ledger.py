"""The effect ledger's batch write (``DbLedger.record_together``) on SQLite and PostgreSQL: one
statement for a group's entries, and an entry an earlier attempt recorded keeps its first value."""
from connector.store.snapshots import DbLedger


def test_a_batch_keeps_what_an_earlier_attempt_recorded_and_adds_the_rest(runtime):
    first, second = DbLedger(runtime.sessions, "case:1"), DbLedger(runtime.sessions, "case:2")
    first.record("hubspot.task.empathy", "111")
    DbLedger.record_together([(first, "hubspot.task.empathy", "999"), (first, "hubspot.task.action", "112"),
                              (second, "hubspot.task.empathy", "211"), (second, "hubspot.task.empathy", "299")])
    assert first.keys("hubspot.task.") == {"hubspot.task.empathy": "111", "hubspot.task.action": "112"}
    assert second.keys("hubspot.task.") == {"hubspot.task.empathy": "211"}  # the first of the batch too


def test_a_large_batch_is_written_a_slice_per_transaction(runtime):
    """A task batch's 800 entries held SQLite's write lock 20-130 ms in one transaction while every
    webhook waited: each transaction now holds at most ``RECORD_SLICE`` of them, and all land."""
    from sqlalchemy import event

    from connector.store.snapshots import RECORD_SLICE

    ledgers = [DbLedger(runtime.sessions, f"case:{n}") for n in range(100)]
    entries = [(ledger, f"hubspot.task.{stage}", f"{n}{stage}") for n, ledger in enumerate(ledgers) for stage in range(8)]
    commits = []

    def committed(_conn):
        commits.append(1)

    event.listen(runtime.engine, "commit", committed)
    try:
        DbLedger.record_together(entries)
    finally:
        event.remove(runtime.engine, "commit", committed)
    assert len(commits) == -(-len(entries) // RECORD_SLICE)
    assert all(len(ledger.keys("hubspot.task.")) == 8 for ledger in ledgers)
