"""deliveries: a partial index on what has not landed yet (workers, /metrics)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_undelivered",
        "deliveries",
        ["target", "created_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_undelivered", table_name="deliveries")
