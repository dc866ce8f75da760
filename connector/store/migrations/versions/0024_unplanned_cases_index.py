"""When a case was planned (issue 16: a new case's profile, cause and stages are written by the
worker, ``cases.planning``, no longer in the webhook's transaction). Every case before this
revision was planned at intake: its ``planned_at`` is its ``opened_at``. The screens and the
admin API plan the waiting cases before they read, so a reader never sees a case half made:
the partial index finds them in one probe, and holds only the few between a 202 and its plan.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_UNPLANNED = sa.text("planned_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE cases SET planned_at = opened_at")
    op.create_index("ix_cases_unplanned", "cases", ["tenant_id"], sqlite_where=_UNPLANNED, postgresql_where=_UNPLANNED)


def downgrade() -> None:
    op.drop_index("ix_cases_unplanned", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("planned_at")
