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

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_REQUIRED = object()


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: Dialect, defaults: Mapping[str, Any]):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.names = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        # Per parameter its value when none is given: a literal the statement holds (such as a
        # LIMIT) or a column default, a function to call for it, or none (required).
        fallbacks = {name: defaults[name] if name in defaults else _REQUIRED if bind.required else bind.effective_value
                     for name in self.names for bind in (compiled.binds[name],)}
        self.required = frozenset(name for name, value in fallbacks.items() if value is _REQUIRED)
        # Per parameter that may be left out, a function giving its value: a column default's own
        # function (called per row, as the ORM would) or one returning the constant.
        self.fillers = {name: value if callable(value) else (lambda value=value: value)
                        for name, value in fallbacks.items() if value is not _REQUIRED}
        # SQLAlchemy's conversion for the dialect, only where there is one (on SQLite: datetimes,
        # JSON, booleans), so the other values cost a dict look-up, not a step of a Python loop.
        processors = ((index, bind.type.dialect_impl(dialect).bind_processor(dialect))
                      for index, name in enumerate(self.names) for bind in (compiled.binds[name],))
        self.processors = [(index, process) for index, process in processors if process is not None]
        self.name_set = frozenset(self.names)
        # The values in statement order in one C call (issue 16: the Python loop that picked them
        # one by one, and the merged copy of every row with the defaults, were a tenth of intake's
        # statements); itemgetter of one name gives the bare value, hence the tuple around it.
        getter = operator.itemgetter(*self.names) if self.names else (lambda values: ())
        self._in_order = getter if len(self.names) != 1 else (lambda values: (getter(values),))

    def parameters(self, values: Mapping[str, Any]) -> Any:
        missing = self.name_set.difference(values)
        if missing:
            if not missing.isdisjoint(self.required):
                raise KeyError(f"no value for the parameters {sorted(missing & self.required)!r}")
            values = dict(values)
            for name in missing:
                values[name] = self.fillers[name]()
        ordered = self._in_order(values)
        if self.processors:
            ordered = list(ordered)
            for index, process in self.processors:
                value = ordered[index]
                if value is not None:
                    ordered[index] = process(value)
        return ordered if self.positional else dict(zip(self.names, ordered, strict=True))


class Prepared:
    """One statement (or, per dialect, ``build(dialect_name)``) with named ``bindparam`` s."""

    def __init__(self, build: ClauseElement | Callable[[str], ClauseElement],
                 defaults: Mapping[str, Any] | None = None):
        self._build, self._defaults = build, dict(defaults or {})
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, session: Session) -> tuple[_Compiled, Any]:
        connection = session.connection()  # begins the session's transaction (BEGIN IMMEDIATE on SQLite)
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self._build if isinstance(self._build, ClauseElement) else self._build(dialect.name)
            compiled = self._compiled[dialect.name] = _Compiled(statement, dialect, self._defaults)
        return compiled, connection.connection.driver_connection

    def execute(self, session: Session, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once; every row it returns (a SELECT, or RETURNING), read before the cursor closes,
        so no statement is left in progress when the transaction commits."""
        compiled, dbapi = self._for(session)
        cursor = dbapi.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(values))
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        finally:
            cursor.close()

    def first(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.execute(session, values)
        return rows[0] if rows else None

    def execute_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled, dbapi = self._for(session)
        cursor = dbapi.cursor()
        try:
            cursor.executemany(compiled.sql, [compiled.parameters(row) for row in rows])
        finally:
            cursor.close()


def _default(column: Any) -> Any:
    """A column's Python-side default as a value or a no-argument function (None: NULL)."""
    default = column.default
    if default is None or column.primary_key:
        return None
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps the model's function to take a context
    return default.arg


class PreparedInsert(Prepared):
    """INSERT of ``keys`` plus every column with a Python-side default, optionally ``ON CONFLICT
    (conflict) DO NOTHING`` and ``RETURNING`` one column."""

    def __init__(self, table: Table, keys: Iterable[str], *, conflict: Sequence[str] = (),
                 returning: str | None = None):
        given = set(keys)
        defaults = {c.key: _default(c) for c in table.columns if c.default is not None and not c.primary_key}
        columns = [c.key for c in table.columns if c.key in given or c.key in defaults]

        def build(dialect: str) -> ClauseElement:
            maker = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect, insert)
            statement = maker(table).values({key: bindparam(key, required=False) for key in columns})
            if conflict:
                statement = statement.on_conflict_do_nothing(index_elements=list(conflict))  # type: ignore[attr-defined]
            return statement.returning(table.c[returning]) if returning else statement

        super().__init__(build, defaults)
