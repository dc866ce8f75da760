"""Persistence: SQLAlchemy models and the engine (SQLite embedded, PostgreSQL for several machines)."""
