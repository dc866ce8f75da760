"""A case remembers that the customer is leaving for a same-category competitor (``churn_risk``):
the signal raises its priority one level and tags its Zendesk ticket.

Existing cases were classified before the signal existed: they get false, and their priority
is left as it was (history is not rewritten).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:  # SQLite alters by copying the table
        batch.add_column(sa.Column("churn_risk", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("churn_risk")
