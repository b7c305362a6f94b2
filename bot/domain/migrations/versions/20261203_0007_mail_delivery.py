"""mail delivery: the e-mail outbox gets status, attempts, a lease, errors and a Message-ID

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NEW_COLUMNS = [
    sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
    sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
    sa.Column("leased_until", sa.DateTime(), nullable=True),
    sa.Column("failed_at", sa.DateTime(), nullable=True),
    sa.Column("last_error", sa.String(length=200), nullable=True),
    sa.Column("message_id", sa.String(length=200), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        for column in _NEW_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index(batch_op.f("ix_outbox_emails_status"), ["status"], unique=False)
    # Mail the console printed before this revision is sent: the worker must not send it.
    op.execute("UPDATE outbox_emails SET status = 'sent' WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_emails_status"))
        for column in reversed(_NEW_COLUMNS):
            batch_op.drop_column(column.name)
