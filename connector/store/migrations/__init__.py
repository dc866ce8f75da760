"""The database schema, kept current by Alembic migrations (``versions/``).

A new database is created from the models in one go and stamped with the newest revision; an
existing one runs the migrations it lacks, so upgrading the connector keeps every answer, case
and job. A database made before migrations existed (tables, no version row) is the baseline
revision. One process migrates at a time: on PostgreSQL under a transaction-scoped advisory
lock, on SQLite under the write lock that BEGIN IMMEDIATE takes (``connector.store.db``).
"""
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

FOLDER = Path(__file__).parent
BASELINE = "0001"            # the schema of the releases before migrations
_LOCK_KEY = 0x5245434F       # "RECO": the advisory lock of schema changes on PostgreSQL


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return _scripts().get_current_head()


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer connector: this one must not touch it."""


def current_revision(connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def bring_up_to_date(engine) -> str:
    """Create or migrate the schema to the newest revision; returns it.

    SQLite alters a table by copying it and dropping the old one, which the rows referencing it
    (an answer's case) forbid while foreign keys are enforced: they are off for the migration, as
    SQLite's table-rebuild procedure says (the pragma is a no-op inside a transaction), and every
    reference is checked before the migration commits.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                return _migrate_locked(connection, check_references=sqlite)
        finally:
            if sqlite:  # the pooled connection goes back as every other one is: enforcing
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _migrate_locked(connection, *, check_references: bool) -> str:
    from connector.store.models import Base

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    current = current_revision(connection)
    if current == head():
        return current
    if current is not None and current not in {script.revision for script in _scripts().walk_revisions()}:
        raise SchemaTooNew(f"the database is at schema revision {current}, which this version of the connector "
                           f"does not know (its newest is {head()}): run the newer version, or restore a backup")
    if current is None and not set(Base.metadata.tables) & set(inspect(connection).get_table_names()):
        Base.metadata.create_all(connection)
        command.stamp(alembic_config(connection), "head")
    else:
        if current is None:
            command.stamp(alembic_config(connection), BASELINE)
        command.upgrade(alembic_config(connection), "head")
        if check_references and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
            raise RuntimeError(f"the migration left {len(broken)} broken references (first: {broken[0]}): rolled back")
    return head()
