"""The HubSpot company of each customer e-mail, for the account roll-up (issue 12, item 3).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_companies",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("company_id", sa.String(length=64), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "customer_email"),
    )
    op.create_index("ix_contact_companies_company_id", "contact_companies", ["company_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_companies_company_id", table_name="contact_companies")
    op.drop_table("contact_companies")
