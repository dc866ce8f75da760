"""What every table module shares: the declarative ``Base`` and its column conventions.

Its own module so that ``models`` and ``tenancy`` both build on it without importing
each other; ``connector/store/__init__.py`` loads both, so ``Base.metadata`` is whole.
"""
from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.orm import DeclarativeBase


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        """On SQLite, one function instead of SQLAlchemy's two (``process_bind_param``, then its
        DATETIME formatting through a dict of seven fields): 2.4 µs a value, ten values a webhook;
        ``isoformat`` writes the same text in 1 µs. Checked against SQLAlchemy's once per dialect."""
        reference = super().bind_processor(dialect)
        if dialect.name != "sqlite" or reference is None:
            return reference

        def process(value):
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the store")
            utc = value.astimezone(timezone.utc)
            text = utc.isoformat(" ")[:-6]  # without its "+00:00"; isoformat drops a zero microsecond
            return text if utc.microsecond else text + ".000000"

        samples = (datetime(2026, 3, 29, 23, 2, 3, 4567, tzinfo=timezone(timedelta(hours=-3))),
                   datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
        return process if all(process(sample) == reference(sample) for sample in samples) else reference

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass
