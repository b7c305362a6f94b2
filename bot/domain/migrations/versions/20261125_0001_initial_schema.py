"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:29:56.067966
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=254), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "business_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("password_state", sa.String(length=20), nullable=False),
        sa.Column("legacy_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_business_accounts_email")),
    )
    op.create_table(
        "dealers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealers")),
        sa.UniqueConstraint("country", "name", name=op.f("uq_dealers_country")),
    )
    with op.batch_alter_table("dealers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dealers_country"), ["country"], unique=False)

    op.create_table(
        "levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("min_points", sa.Integer(), nullable=False),
        sa.Column("annual_fee", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_levels")),
        sa.UniqueConstraint("code", name=op.f("uq_levels_code")),
    )
    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("template_data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_emails_recipient"), ["recipient"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("serial_pattern", sa.String(length=120), nullable=False),
        sa.Column("serial_example", sa.String(length=40), nullable=False),
        sa.Column("serial_location", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["business_accounts.id"],
            name=op.f("fk_escalations_account_id_business_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_account_id"), ["account_id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("points_at_issue", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("times_sent", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["business_accounts.id"],
            name=op.f("fk_invitations_account_id_business_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("account_id", name=op.f("uq_invitations_account_id")),
    )
    op.create_table(
        "legacy_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("old_member_number", sa.String(length=40), nullable=True),
        sa.Column("migrated_to_id", sa.Integer(), nullable=True),
        sa.Column("migrated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["migrated_to_id"],
            ["business_accounts.id"],
            name=op.f("fk_legacy_accounts_migrated_to_id_business_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_legacy_accounts_email")),
        sa.UniqueConstraint("old_member_number", name=op.f("uq_legacy_accounts_old_member_number")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["business_accounts.id"],
            name=op.f("fk_memberships_account_id_business_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["level_id"], ["levels.id"], name=op.f("fk_memberships_level_id_levels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("account_id", name=op.f("uq_memberships_account_id")),
        sa.UniqueConstraint("number", name=op.f("uq_memberships_number")),
    )
    op.create_table(
        "password_link_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["business_accounts.id"],
            name=op.f("fk_password_link_tokens_account_id_business_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_tokens_token_hash")),
    )
    with op.batch_alter_table("password_link_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_link_tokens_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("purchase_date_precision", sa.String(length=20), nullable=True),
        sa.Column("purchase_date_guessed", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("country_guessed", sa.Boolean(), nullable=False),
        sa.Column("dealer", sa.String(length=120), nullable=True),
        sa.Column("dealer_guessed", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("points_assigned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["business_accounts.id"],
            name=op.f("fk_registrations_account_id_business_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_registrations_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint(
            "product_id", "serial_number", name=op.f("uq_registrations_product_id")
        ),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrations_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_invoices_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_membership_id"), ["membership_id"], unique=False
        )

    op.create_table(
        "legacy_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legacy_account_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("purchase_date_precision", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("dealer", sa.String(length=120), nullable=True),
        sa.Column("migrated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legacy_account_id"],
            ["legacy_accounts.id"],
            name=op.f("fk_legacy_registrations_legacy_account_id_legacy_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_legacy_registrations_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_registrations")),
    )
    with op.batch_alter_table("legacy_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legacy_registrations_legacy_account_id"),
            ["legacy_account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("legacy_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legacy_registrations_legacy_account_id"))

    op.drop_table("legacy_registrations")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_membership_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_account_id"))

    op.drop_table("registrations")
    with op.batch_alter_table("password_link_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_link_tokens_account_id"))

    op.drop_table("password_link_tokens")
    op.drop_table("memberships")
    op.drop_table("legacy_accounts")
    op.drop_table("invitations")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_account_id"))

    op.drop_table("escalations")
    op.drop_table("products")
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_emails_recipient"))

    op.drop_table("outbox_emails")
    op.drop_table("levels")
    with op.batch_alter_table("dealers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dealers_country"))

    op.drop_table("dealers")
    op.drop_table("business_accounts")
    op.drop_table("audit_log")
