"""identity: the embedded identity store's password hashes; tries per password link

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_credentials",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["business_accounts.id"],
            name=op.f("fk_password_credentials_account_id_business_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_password_credentials")),
    )
    with op.batch_alter_table("password_link_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("password_link_tokens", schema=None) as batch_op:
        batch_op.drop_column("attempts")
    op.drop_table("password_credentials")
