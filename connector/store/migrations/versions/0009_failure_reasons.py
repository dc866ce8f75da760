"""Why a recovery ended ``partial`` or ``failed``: the reason its owner records, a note and when.

Cases closed before keep no reason (the report counts them as "missing"): history is not rewritten.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:  # SQLite alters by copying the table
        batch.add_column(sa.Column("failure_reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("failure_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("failure_recorded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("failure_recorded_at")
        batch.drop_column("failure_note")
        batch.drop_column("failure_reason")
