"""The index of answers' interim case only over the interim answers (issue 16): every answer
wrote its NULL into the index, one more page in every webhook's commit (on SQLite a WAL frame
and its share of the fsync); the look-ups by case (``interim_case_id = ?``) imply IS NOT NULL,
so they still use it.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_INTERIM = sa.text("interim_case_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_answers_interim_case_id", table_name="answers")
    op.create_index("ix_answers_interim_case_id", "answers", ["interim_case_id"],
                    sqlite_where=_INTERIM, postgresql_where=_INTERIM)


def downgrade() -> None:
    op.drop_index("ix_answers_interim_case_id", table_name="answers")
    op.create_index("ix_answers_interim_case_id", "answers", ["interim_case_id"])
