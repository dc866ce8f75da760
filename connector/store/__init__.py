"""Persistence: SQLAlchemy models and the engine (SQLite embedded, PostgreSQL for several machines).

Both table modules load with the package, so ``Base.metadata`` holds every table
(create_all, drop_all, migrations, compare_metadata) whichever module a caller imported.
"""
from connector.store import admin_sessions, models, tenancy  # noqa: F401  (their tables register on Base)
