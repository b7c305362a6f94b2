"""Prebuilt Core statements run on the database driver's own connection.

Every turn reads and saves its chat state, one statement each. Through SQLAlchemy's
`Connection` such a statement cost about 530 µs on PostgreSQL here, of which the round
trip (psycopg alone) was 230: the rest is per-execution work (execution context, result
proxy, connection wrapper). `DriverConnection` runs the same SQL, compiled once per
statement and engine, with the same processing of parameters and results (each type's
`bind_processor` and `result_processor`), on psycopg's connection from the pool.
Values written in a statement (`column == "x"`, a LIMIT) are sent as SQLAlchemy sends them;
IN lists (expanding parameters) are refused.

It offers the part of a `Connection` the hot paths use: `execute(statement, params)` and
`dialect`; results have `one()`, `first()`, `all()` and `rowcount`, and rows name their
columns as SQLAlchemy's do. Errors are SQLAlchemy's (an `IntegrityError` stays one), and when
the server dropped a connection the pool starts afresh.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect, Engine
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Executable

Processor = Callable[[Any], Any]


class Compiled:
    """One statement's SQL for one dialect, with its parameter and result processing."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        if any(bind.expanding or bind.literal_execute for bind in compiled.binds.values()):
            raise ValueError("IN lists and literal-execute parameters are not supported here")
        # Values the statement carries itself (`column == "x"`, a LIMIT), under their names.
        self._defaults = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        self._binds: dict[str, Processor] = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns = list(getattr(statement, "selected_columns", None) or ())
        if not columns:  # INSERT/UPDATE ... RETURNING
            columns = list(getattr(statement, "exported_columns", None) or ())
        self.row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None  # type: ignore[misc]
        self._results: list[tuple[int, Processor]] = [
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None
        ]

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        binds = self._binds
        merged = {**self._defaults, **values} if self._defaults else values
        return {k: (binds[k](v) if k in binds else v) for k, v in merged.items()}

    def make_row(self, values: Sequence[Any]) -> Any:
        if self._results:
            values = list(values)
            for index, processor in self._results:
                values[index] = processor(values[index])
        return self.row._make(values) if self.row is not None else tuple(values)


# Per engine, per statement; both weak, so neither a disposed engine nor a one-off statement
# is kept (what is cached refers to the engine's dialect, never to the engine itself).
_COMPILED: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[Executable, Compiled]] = (
    weakref.WeakKeyDictionary()
)


def compiled_for(statement: Executable, engine: Engine) -> Compiled:
    known = _COMPILED.get(engine)
    if known is None:
        known = _COMPILED[engine] = weakref.WeakKeyDictionary()
    found = known.get(statement)
    if found is None:
        found = known[statement] = Compiled(statement, _driver_dialect(engine.dialect))
    return found


def _driver_dialect(dialect: Dialect) -> Dialect:
    """The dialect to compile for the driver: SQLite's with named parameters (`:name`,
    which sqlite3 takes from a dict), so the same parameters serve both drivers."""
    if dialect.name != "sqlite" or dialect.paramstyle == "named":
        return dialect
    named = _NAMED.get(type(dialect))
    if named is None:
        named = _NAMED[type(dialect)] = type(dialect)(paramstyle="named")
    return named


_NAMED: dict[type, Dialect] = {}


class _Fetched:
    """A cursor's rows read at once (SQLite cannot commit while a RETURNING is unread)."""

    def __init__(self, cursor: Any) -> None:
        self.description = cursor.description
        self._rows = cursor.fetchall() if cursor.description else []
        self.rowcount = cursor.rowcount

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows


class DriverResult:
    def __init__(self, compiled: Compiled, cursor: Any) -> None:
        self._compiled = compiled
        self._cursor = cursor
        self.rowcount: int = cursor.rowcount

    def first(self) -> Any:
        row = self._cursor.fetchone() if self._cursor.description else None
        return None if row is None else self._compiled.make_row(row)

    def one(self) -> Any:
        rows = self.all()
        if not rows:
            raise NoResultFound("No row was found when one was required")
        if len(rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def all(self) -> list[Any]:
        make_row = self._compiled.make_row
        return (
            [make_row(row) for row in self._cursor.fetchall()] if self._cursor.description else []
        )


class DriverConnection:
    """A connection of `engine`'s pool used through its driver (psycopg, sqlite3): in the
    pool's autocommit, or inside the transaction SQLAlchemy has open on it
    (`in_transaction`)."""

    @classmethod
    def in_transaction(cls, connection: Any) -> DriverConnection:
        """The driver of a SQLAlchemy `Connection`, in that connection's open transaction."""
        return cls(connection.connection, connection.engine)

    def __init__(self, pooled: PoolProxiedConnection, engine: Engine) -> None:
        self._pooled = pooled
        self._engine = engine
        self.dialect = engine.dialect

    def execute(self, statement: Executable, values: dict[str, Any] | None = None) -> DriverResult:
        return self.pipelined([statement], values)[0]

    def execute_many(self, statement: Executable, rows: Sequence[dict[str, Any]]) -> None:
        """One statement for many rows of parameters, in one round trip (psycopg pipelines
        executemany)."""
        compiled = compiled_for(statement, self._engine)
        try:
            with self._pooled.driver_connection.cursor() as cursor:
                cursor.executemany(compiled.sql, [compiled.params(row) for row in rows])
        except self.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                compiled.sql, {}, exc, self.dialect.loaded_dbapi.Error, hide_parameters=True
            ) from exc

    def pipelined(
        self,
        statements: Sequence[Executable],
        values: dict[str, Any] | None = None,
        *,
        commit: bool = False,
    ) -> list[DriverResult]:
        """The statements (and the COMMIT) sent together, in one round trip (psycopg's
        pipeline mode); the server still runs them one after another, each seeing what the
        one before it did or waited for."""
        values = values or {}
        compiled = [compiled_for(statement, self._engine) for statement in statements]
        driver = self._pooled.driver_connection
        try:
            if self.dialect.name == "sqlite":  # in-process: nothing to gain from a pipeline
                cursors = [_Fetched(driver.execute(c.sql, c.params(values))) for c in compiled]
                if commit:
                    driver.commit()
            elif len(compiled) == 1 and not commit:
                cursors = [driver.execute(compiled[0].sql, compiled[0].params(values))]
            else:
                with driver.pipeline():
                    cursors = [driver.execute(c.sql, c.params(values)) for c in compiled]
                    if commit:
                        driver.commit()
            return [DriverResult(c, cursor) for c, cursor in zip(compiled, cursors, strict=True)]
        except self.dialect.loaded_dbapi.Error as exc:
            dropped = self.dialect.is_disconnect(exc, self._pooled.dbapi_connection, None)
            if dropped:  # the server restarted: its other connections are gone too
                self._pooled.invalidate(exc)
                self._engine.dispose()  # a fresh pool, as SQLAlchemy's Connection would do
            raise DBAPIError.instance(
                "; ".join(c.sql for c in compiled),
                values,
                exc,
                self.dialect.loaded_dbapi.Error,
                hide_parameters=True,  # chat state is members' data: not in logs
                connection_invalidated=dropped,
                dialect=self.dialect,
            ) from exc
