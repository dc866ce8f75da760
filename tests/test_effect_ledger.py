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
