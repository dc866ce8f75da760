"""Alembic environment. The connector passes its open connection (``install_schema``); the
``alembic`` command line (``alembic.ini`` at the project root) connects to
``RECOVERY_DATABASE_URL`` instead, e.g. for ``alembic revision --autogenerate -m "…"``."""
from alembic import context
from sqlalchemy import create_engine

from connector.store.models import Base  # the store package loads every table module: all tables are on it


def _migrate(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters by copy
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _migrate(connection)
else:
    from connector.config import load_config

    engine = create_engine(load_config()["DATABASE_URL"])
    with engine.begin() as own:
        _migrate(own)
    engine.dispose()
