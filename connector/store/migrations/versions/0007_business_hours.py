"""The tenant's Zendesk business-hours schedule, cached for the call stages.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_hours",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table("business_hours")
