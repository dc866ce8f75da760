"""Weak signals and the weekly digest (issue 12, items 5-6): one row per alert and per digest,
whose unique keys make them once-only across worker processes.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "customer_email", "signal", "period", name="uq_signal_alerts_once"),
    )
    op.create_index("ix_signal_alerts_raised_at", "signal_alerts", ["raised_at"])
    op.create_table(
        "digest_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "owner", "week", name="uq_digest_claims_once"),
    )
    op.create_table(
        "ticket_creations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "ticket_id", name="uq_ticket_creations_ticket"),
    )
    op.create_index("ix_ticket_creations_requester", "ticket_creations", ["tenant_id", "requester_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_creations_requester", table_name="ticket_creations")
    op.drop_table("ticket_creations")
    op.drop_table("digest_claims")
    op.drop_index("ix_signal_alerts_raised_at", table_name="signal_alerts")
    op.drop_table("signal_alerts")
