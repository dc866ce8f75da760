"""Consecutive slices of a list: batches per vendor call, jobs per transaction."""
from typing import TypeVar

T = TypeVar("T")


def in_slices(items: list[T], size: int) -> list[list[T]]:
    """``items`` in consecutive lists of at most ``size``."""
    return [items[i:i + size] for i in range(0, len(items), size)]
