"""Prepared statements for the few hot paths: a Core statement compiled once per dialect and run straight
on the session's DBAPI connection.

SQLAlchemy's per-execution work (cache key, parameter construction, result metadata, row objects) costs
~50 µs a statement here, several times what SQLite needs to run a keyed lookup, and a vault read runs
seven. A ``Prepared`` statement skips that work and nothing else: it is still a Core statement (so the
same SQL on SQLite and PostgreSQL), its parameters and result columns still go through the statement's
own types (``UTCDateTime``, booleans), and it runs inside the session's transaction, which the session
commits or rolls back as usual. Statement events (``before_cursor_execute``) do not see it, and Python-side
column defaults (``default=``, ``onupdate=``) are not run: a statement that would need them is refused.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from idp.extensions import db

_REQUIRED = object()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # bind names in order for qmark/format paramstyles, else None
    binds: tuple[tuple[str, str, Any, Callable[[Any], Any] | None], ...]  # (name, key, default, processor)
    row_type: Any
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, result processor) where one is needed

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = {}
        for name, key, default, process in self.binds:
            value = given[key] if key in given else default
            if value is _REQUIRED:
                raise KeyError(f"parameter {key!r} is required")
            values[name] = process(value) if process is not None else value
        if self.positional is None:
            return values
        return tuple(values[name] for name in self.positional)

    def row(self, raw: tuple[Any, ...]) -> Any:
        if not self.results:
            return self.row_type._make(raw)
        values = list(raw)
        for index, process in self.results:
            values[index] = process(values[index])
        return self.row_type._make(values)


class Prepared:
    """One Core statement, ready to run many times (see the module docstring)."""

    def __init__(self, statement: ClauseElement, column_keys: list[str] | None = None) -> None:
        """``column_keys``: for an ``insert()`` without ``values()``, the columns every execution gives."""
        self.statement = statement
        self.column_keys = column_keys
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _compile(self.statement, dialect, self.column_keys)
        return compiled

    def execute(self, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run it in the session's transaction; the rows (named tuples), or [] for a statement without any."""
        connection = db.session.connection()
        compiled = self._compiled(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(params or {}))
            rows = cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()
        return [compiled.row(raw) for raw in rows]

    def first(self, params: Mapping[str, Any] | None = None) -> Any:
        rows = self.execute(params)
        return rows[0] if rows else None


def _compile(statement: Any, dialect: Dialect, column_keys: list[str] | None) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    defaulted = [column.key for column in [*compiled.insert_prefetch, *compiled.update_prefetch]]
    if defaulted:
        # SQLAlchemy computes these (default=, onupdate=) per execution; a prepared statement would send NULL.
        raise ValueError(f"a prepared statement must give {', '.join(defaulted)} itself (Python-side defaults)")
    binds = []
    for name, bind in compiled.binds.items():
        default = _REQUIRED if bind.required else bind.effective_value
        binds.append(
            (
                compiled.escaped_bind_names.get(name, name),
                bind.key,
                default,
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
        )
    positional = tuple(compiled.positiontup) if compiled.positional else None
    columns = list(statement.exported_columns)  # a select's columns, or what an UPDATE/INSERT returns
    row_type = namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
    results = tuple((index, process) for index, process in enumerate(processors) if process is not None)
    return _Compiled(str(compiled), positional, tuple(binds), row_type, results)
