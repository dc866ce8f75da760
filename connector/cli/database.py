"""The database a reading command (``report``, ``replay``) opens: named, and never created by accident.

``build_runtime`` installs the schema wherever ``RECOVERY_DATABASE_URL`` points, which is right for
``serve`` but wrong for a command that only reads: run from the wrong folder, ``report`` used to
create an empty ``recovery.db`` and print zeros. These commands say which database they read (on
stderr, the password hidden) and stop with one line when it does not exist or holds no connector
tables. ``serve`` and ``worker`` check the URL the same way before they start, so a typo is one
line naming the variable, not a traceback.
"""
from pathlib import Path

import click
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

_MARKER_TABLE = "cases"  # present since the first schema revision
EXAMPLES = "sqlite:///recovery.db or postgresql+psycopg://user@host:5432/recovery"


def _url(database_url: str) -> URL:
    """The parsed URL, or one line saying what to write instead."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise click.ClickException(f"RECOVERY_DATABASE_URL is not a database URL: {database_url!r} "
                                   f"(e.g. {EXAMPLES})") from None
    shown = url.render_as_string(hide_password=True)
    if url.drivername.startswith("postgres") and url.drivername != "postgresql+psycopg":
        raise click.ClickException(f"RECOVERY_DATABASE_URL={shown}: write postgresql+psycopg://… "
                                   f"(psycopg 3 is the driver installed)")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise click.ClickException(f"RECOVERY_DATABASE_URL={shown}: only SQLite and PostgreSQL are supported "
                                   f"(e.g. {EXAMPLES})")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).resolve().parent
        if not folder.is_dir():
            raise click.ClickException(f"RECOVERY_DATABASE_URL={shown}: the folder {folder} does not exist")
    return url


def _has_tables(url: URL) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table(_MARKER_TABLE)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
        raise click.ClickException(f"cannot open the database {url.render_as_string(hide_password=True)}: "
                                   f"{reason}") from None
    finally:
        engine.dispose()


def check_reachable(database_url: str) -> None:
    """For ``serve`` and ``worker``: a URL they can use, and a server that lets them in (one line if not).

    A SQLite file not there yet is left for the server to create: opening it here would leave an
    empty file behind when start-up then stops on another error (``report`` would take it for a
    database)."""
    url = _url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return
    _has_tables(url)


def require_existing(database_url: str) -> None:
    """Raise ``click.ClickException`` unless ``database_url`` names a database the connector made."""
    url = _url(database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).resolve()
        if not path.exists():
            raise click.ClickException(
                f"no database at {path} (RECOVERY_DATABASE_URL={shown}); run this where the connector "
                f"runs, or set RECOVERY_DATABASE_URL")
    if not _has_tables(url):
        raise click.ClickException(f"the database {shown} holds no connector tables (wrong database?)")
    click.echo(f"database: {shown}", err=True)


def count_cases(database_url: str) -> int | None:
    """How many cases an existing database holds (0 when it holds none; None when it cannot be read)."""
    try:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
            return 0  # never create the file just to count
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                if not inspect(connection).has_table(_MARKER_TABLE):
                    return 0
                return int(connection.exec_driver_sql(f"SELECT count(*) FROM {_MARKER_TABLE}").scalar_one())
        finally:
            engine.dispose()
    except (ArgumentError, SQLAlchemyError):
        return None
