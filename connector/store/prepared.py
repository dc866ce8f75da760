"""The webhook's statements, compiled once per dialect and run on the DBAPI cursor.

Measured on the intake (bench/profile_webhook.py under py-spy), SQLAlchemy's work per
execution (ORM execute state, execution context, parameter construction) cost five times
what SQLite spent running the statements: a third of an accepted webhook's CPU. These few
statements run on every webhook, so they are compiled once per dialect by SQLAlchemy itself
(same SQL, same type conversions, the bind casts PostgreSQL needs) and then executed
directly on the transaction's DBAPI connection, inside the same transaction as the session.

``None`` goes to the database as SQL NULL, as a column the ORM leaves out would; Python-side
column defaults (``default=``) are filled in for the columns a caller does not give.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_MISSING = object()


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        self.names = names
        self.processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        # Literals the statement holds itself (a LIMIT): their own value unless one is given.
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}

    def parameters(self, values: Mapping[str, Any]) -> Any:
        converted = [value if (value := values[name] if name in values else self.fixed[name]) is None
                     or process is None else process(value)
                     for name, process in zip(self.names, self.processors, strict=True)]
        return tuple(converted) if self.positional else dict(zip(self.names, converted, strict=True))


class Prepared:
    """One statement (or, per dialect, ``build(dialect_name)``) with named ``bindparam`` s."""

    def __init__(self, build: ClauseElement | Callable[[str], ClauseElement]):
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, session: Session) -> tuple[_Compiled, Any]:
        connection = session.connection()  # begins the session's transaction (BEGIN IMMEDIATE on SQLite)
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self._build if isinstance(self._build, ClauseElement) else self._build(dialect.name)
            compiled = self._compiled[dialect.name] = _Compiled(statement, dialect)
        return compiled, connection.connection.driver_connection

    def execute(self, session: Session, values: Mapping[str, Any]) -> Any:
        """Run once; the DBAPI cursor (``fetchone``/``fetchall`` for a SELECT or RETURNING)."""
        compiled, dbapi = self._for(session)
        cursor = dbapi.cursor()
        cursor.execute(compiled.sql, compiled.parameters(self._complete(values)))
        return cursor

    def execute_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled, dbapi = self._for(session)
        cursor = dbapi.cursor()
        cursor.executemany(compiled.sql, [compiled.parameters(self._complete(row)) for row in rows])
        cursor.close()

    def _complete(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        return values


class PreparedInsert(Prepared):
    """INSERT of ``keys`` plus every column with a Python-side default, optionally ``ON CONFLICT
    (conflict) DO NOTHING`` and ``RETURNING`` one column."""

    def __init__(self, table: Table, keys: Iterable[str], *, conflict: Sequence[str] = (),
                 returning: str | None = None):
        given = set(keys)
        self._defaults = {c.key: c.default for c in table.columns if c.default is not None and not c.primary_key}
        columns = [c.key for c in table.columns if c.key in given or c.key in self._defaults]

        def build(dialect: str) -> ClauseElement:
            maker = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect, insert)
            statement = maker(table).values({key: bindparam(key) for key in columns})
            if conflict:
                statement = statement.on_conflict_do_nothing(index_elements=list(conflict))  # type: ignore[attr-defined]
            return statement.returning(table.c[returning]) if returning else statement

        super().__init__(build)
        self._columns = columns

    def _complete(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        row = {}
        for key in self._columns:
            value = values.get(key, _MISSING)
            if value is _MISSING:
                default = self._defaults.get(key)
                value = None if default is None else (default.arg(None) if default.is_callable else default.arg)
            row[key] = value
        return row
