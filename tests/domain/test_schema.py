"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.domain import schema
from bot.domain.models import Base


def test_migrations_match_the_models(engine):
    assert schema.current_revision(engine) == schema.head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_a_no_op_when_at_head(engine):
    schema.upgrade(engine)
    assert schema.current_revision(engine) == schema.head_revision()
