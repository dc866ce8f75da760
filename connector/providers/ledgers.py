"""Ledger reads and writes for a whole vendor batch: one query for many cases where the
ledger class can (``read_together`` / ``record_together`` on it), one per entry otherwise."""
from connector.ports.snapshots import EffectLedger


def record_together(entries: list[tuple[EffectLedger, str, str]]) -> None:
    """Effects of several cases learnt from one vendor answer: one write when the ledgers
    can (``record_together`` on their class), else one ``record`` each."""
    kinds = {type(ledger) for ledger, _, _ in entries}
    if len(kinds) == 1 and hasattr(next(iter(kinds)), "record_together"):
        next(iter(kinds)).record_together(entries)
        return
    for ledger, key, external_id in entries:
        ledger.record(key, external_id)


def read_together(ledgers: list[EffectLedger], keys: list[str]) -> list[dict[str, str]]:
    """The recorded ``keys`` of each ledger ({key: external id}, absent when not recorded): one
    read for a whole batch of cases when the ledgers can (``read_together`` on their class)."""
    kinds = {type(ledger) for ledger in ledgers}
    if len(kinds) == 1 and hasattr(next(iter(kinds)), "read_together"):
        return next(iter(kinds)).read_together(ledgers, keys)
    return [{k: v for k in keys if (v := ledger.get(k)) is not None} for ledger in ledgers]
