"""Root causes (issue 13, item 1): the cause suggested from the comment, the words that matched,
and the cause an agent confirmed or changed (with when and where).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("cause_suggested", sa.String(32), nullable=True))
        batch.add_column(sa.Column("cause_words", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("cause", sa.String(32), nullable=True))
        batch.add_column(sa.Column("cause_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cause_source", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for column in ("cause_source", "cause_confirmed_at", "cause", "cause_words", "cause_suggested"):
            batch.drop_column(column)
