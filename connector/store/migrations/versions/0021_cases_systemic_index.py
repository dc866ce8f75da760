"""An index on ``cases.systemic_issue_id`` (issue 16): a systemic issue's members are read on every
update of its problem ticket, its chat alert and its solving; without the index each read scanned
every case of every tenant, while a worker held SQLite's write lock.

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_systemic_issue_id", "cases", ["systemic_issue_id"])


def downgrade() -> None:
    op.drop_index("ix_cases_systemic_issue_id", table_name="cases")
