"""Time, injectable so tests can travel instead of sleeping."""
from datetime import datetime, timezone


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta) -> None:
        self.now = self.now + delta
