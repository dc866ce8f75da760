"""Priority support granted with a compensation: the tag on the customer's Zendesk user and its
expiry, so the scheduler can find the grants that have run out and remove their tags.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "priority_support",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tag", sa.String(80), nullable=False),
        sa.Column("applied_tag", sa.String(80), nullable=True),
        sa.Column("zendesk_user_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
    )
    op.create_index("ix_priority_support_expiry", "priority_support", ["status", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_priority_support_expiry", table_name="priority_support")
    op.drop_table("priority_support")
