"""Promises of the action plan (what, who, by when), in a table so the deadline scan finds the
overdue ones by an index instead of reading every stage's details.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(300), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("fingerprint", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "fingerprint", name="uq_promise"),
    )
    op.create_index("ix_promises_due", "promises", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_promises_due", table_name="promises")
    op.drop_table("promises")
