"""Whether the connector's own contact upsert made a customer's HubSpot contact (issue 16): such a
contact cannot have a company association yet, so its company look-up skips the association read
and goes straight to its e-mail domain's company. Nullable: rows from before are "not known" and
keep the read.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_companies") as batch:
        batch.add_column(sa.Column("created_by_upsert", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_companies") as batch:
        batch.drop_column("created_by_upsert")
