"""The tenant's Zendesk business-hours schedule, cached for the call stages.

Revision ID: 0009
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
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
