"""PostgreSQL writes the event loop does not wait for: psycopg's asyncio connections, from
a psycopg_pool pool, for the one write on the message path that must wait for the disk
(the inbox's, before a channel acknowledges an event). Statements are compiled once by
SQLAlchemy (`driver_sql.compiled_for`), with the same parameter and row processing."""

from __future__ import annotations

from typing import Any

from psycopg import Error as DriverError
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from bot.domain.driver_sql import compiled_for


class AsyncDurableWriter:
    def __init__(self, engine: Engine, *, max_size: int = 4) -> None:
        self._engine = engine
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool = AsyncConnectionPool(conninfo, min_size=1, max_size=max_size, open=False)
        self._opened = False

    async def write(self, statement: Executable, values: dict[str, Any]) -> list[Any]:
        """The statement and its COMMIT in one round trip (a pipeline), synchronous: on
        disk when this returns. Its rows (RETURNING)."""
        compiled = compiled_for(statement, self._engine)
        if not self._opened:
            await self._pool.open()
            self._opened = True
        try:
            async with self._pool.connection() as connection:
                async with connection.pipeline():
                    cursor = await connection.execute(compiled.sql, compiled.params(values))
                    await connection.commit()
                rows = await cursor.fetchall() if cursor.description else []
        except DriverError as exc:  # the pool replaces a broken connection by itself
            raise DBAPIError.instance(
                compiled.sql, {}, exc, DriverError, hide_parameters=True
            ) from exc
        return [compiled.make_row(row) for row in rows]

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()
            self._opened = False
