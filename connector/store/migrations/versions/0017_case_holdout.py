"""The holdout experiment (issue 13, item 3): whether a case was held out of the protocol and
the draw that decided it, so the report can compare treated and held-out cases.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("holdout", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("holdout_draw", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("holdout_draw")
        batch.drop_column("holdout")
