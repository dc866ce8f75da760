"""Root causes and systemic issues (issue 13, items 1 and 2): the cause suggested from the
comment, the words that matched, the cause an agent confirmed or changed (with when and where),
and the systemic issues several cases with one cause make, one per tenant, cause and window.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("cause_suggested", sa.String(32), nullable=True))
        batch.add_column(sa.Column("cause_words", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("cause", sa.String(32), nullable=True))
        batch.add_column(sa.Column("cause_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cause_source", sa.String(16), nullable=True))
        batch.add_column(sa.Column("systemic_issue_id", sa.Integer(), nullable=True))
    op.create_table(
        "systemic_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problem_ticket_id", sa.Integer(), nullable=True),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "cause", "window_start", name="uq_systemic_issue_window"),
    )


def downgrade() -> None:
    op.drop_table("systemic_issues")
    with op.batch_alter_table("cases") as batch:
        for column in ("systemic_issue_id", "cause_source", "cause_confirmed_at", "cause", "cause_words", "cause_suggested"):
            batch.drop_column(column)
