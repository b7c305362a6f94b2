"""live handoff: escalation lifecycle columns and the deliveries outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NEW_ESCALATION_COLUMNS = [
    sa.Column("conversation_key", sa.String(length=120), nullable=True),
    sa.Column("language", sa.String(length=2), nullable=True),
    sa.Column("context", sa.JSON(), nullable=True),
    sa.Column("claimed_by_name", sa.String(length=80), nullable=True),
    sa.Column("claimed_at", sa.DateTime(), nullable=True),
    sa.Column("resolved_by", sa.String(length=80), nullable=True),
    sa.Column("rating", sa.Integer(), nullable=True),
    sa.Column("rating_declined", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("rated_at", sa.DateTime(), nullable=True),
    sa.Column("card_channel", sa.String(length=40), nullable=True),
    sa.Column("card_ts", sa.String(length=40), nullable=True),
    sa.Column("reminded_at", sa.DateTime(), nullable=True),
    sa.Column("helpdesk_ticket", sa.String(length=80), nullable=True),
    sa.Column("helpdesk_status", sa.String(length=40), nullable=True),
]


def upgrade() -> None:
    # Batch mode: SQLite adds constraints by copying the table; PostgreSQL alters in place.
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for column in _NEW_ESCALATION_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index(
            batch_op.f("ix_escalations_conversation_key"), ["conversation_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalations_status"), ["status"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_escalations_card_channel"), ["card_channel", "card_ts"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_escalations_rating_range"), "rating BETWEEN 1 AND 5"
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("conversation_key", sa.String(length=120), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_deliveries_escalation_id_escalations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deliveries_idempotency_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_conversation_key"), ["conversation_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_escalation_id"), ["escalation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_deliveries_escalation_id"))
        batch_op.drop_index(batch_op.f("ix_deliveries_conversation_key"))

    op.drop_table("deliveries")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_escalations_rating_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_escalations_card_channel"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_escalations_status"))
        batch_op.drop_index(batch_op.f("ix_escalations_conversation_key"))
        for column in reversed(_NEW_ESCALATION_COLUMNS):
            batch_op.drop_column(column.name)
