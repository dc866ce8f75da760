"""The delivery log names the answer a delivery stored or repeated, so the dashboard can replay
its failed sync from the log.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:  # SQLite alters by copying the table
        batch.add_column(sa.Column("response_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("response_id")
