"""Claim turns per tenant, so jobs are claimed round-robin across tenants (issue 14, finding 5:
one tenant's campaign of 1,500 answers delayed another tenant's lone case by 13-47 s).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_turns",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("turn", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    # A tenant's oldest due job in one index seek, and whether it has any.
    op.create_index("ix_jobs_turn", "jobs", ["tenant_id", "status", "run_at", "id"])
    # Tenants with jobs already queued join the line at the front.
    op.execute("INSERT INTO claim_turns (tenant_id, turn) SELECT DISTINCT tenant_id, 0 FROM jobs")


def downgrade() -> None:
    op.drop_index("ix_jobs_turn", table_name="jobs")
    op.drop_table("claim_turns")
