"""Alembic environment: runs on the connection handed in by bot.domain.schema, or on a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.domain.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from bot.settings import load_settings

        url = load_settings().resolved_database_url
    with create_engine(url, hide_parameters=True).connect() as conn:
        _run(conn)
