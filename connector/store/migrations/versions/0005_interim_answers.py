"""Answers that reach an open case without closing it are kept on it (interim answers), and an
answer keeps its survey's kind (relational / transactional), which intake used to drop.

Existing cases keep their outcome and status: history is not rewritten.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:  # SQLite alters by copying the table
        batch.add_column(sa.Column("survey_kind", sa.String(50), nullable=True))
        batch.add_column(sa.Column("interim_case_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_answers_interim_case_id", "cases", ["interim_case_id"], ["id"])
        batch.create_index("ix_answers_interim_case_id", ["interim_case_id"])


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_index("ix_answers_interim_case_id")
        batch.drop_constraint("fk_answers_interim_case_id", type_="foreignkey")
        batch.drop_column("interim_case_id")
        batch.drop_column("survey_kind")
