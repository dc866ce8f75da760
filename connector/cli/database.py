"""The database a reading command (``report``, ``replay``) opens: named, and never created by accident.

``build_runtime`` installs the schema wherever ``RECOVERY_DATABASE_URL`` points, which is right for
``serve`` but wrong for a command that only reads: run from the wrong folder, ``report`` used to
create an empty ``recovery.db`` and print zeros. These commands say which database they read (on
stderr, the password hidden) and stop with one line when it does not exist or holds no connector
tables.
"""
from pathlib import Path

import click
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

_MARKER_TABLE = "cases"  # present since the first schema revision


def require_existing(database_url: str) -> None:
    """Raise ``click.ClickException`` unless ``database_url`` names a database the connector made."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise click.ClickException(f"RECOVERY_DATABASE_URL is not a database URL: {database_url!r}") from None
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).resolve()
        if not path.exists():
            raise click.ClickException(
                f"no database at {path} (RECOVERY_DATABASE_URL={shown}); run this where the connector "
                f"runs, or set RECOVERY_DATABASE_URL")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = inspect(connection).has_table(_MARKER_TABLE)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot open the database {shown}: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    if not found:
        raise click.ClickException(f"the database {shown} holds no connector tables (wrong database?)")
    click.echo(f"database: {shown}", err=True)
