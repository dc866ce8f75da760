"""The index of cases' systemic issue only over the cases in one (issue 16): a case opens with
none, and indexing its NULL wrote one more page in every detractor's intake commit (on SQLite
a WAL frame and its share of the fsync). An issue's members are read by ``systemic_issue_id =``
or ``IN``, which imply IS NOT NULL, so those look-ups still use it.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_IN_AN_ISSUE = sa.text("systemic_issue_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_cases_systemic_issue_id", table_name="cases")
    op.create_index("ix_cases_systemic_issue_id", "cases", ["systemic_issue_id"],
                    sqlite_where=_IN_AN_ISSUE, postgresql_where=_IN_AN_ISSUE)


def downgrade() -> None:
    op.drop_index("ix_cases_systemic_issue_id", table_name="cases")
    op.create_index("ix_cases_systemic_issue_id", "cases", ["systemic_issue_id"])
