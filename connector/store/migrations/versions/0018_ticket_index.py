"""The local ticket-history index per tenant (issue 16, item 1): tickets, their requesters'
e-mails and where the incremental export stands.

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
    op.create_table(
        "ticket_index",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "ticket_id"),
    )
    op.create_index("ix_ticket_index_requester", "ticket_index", ["tenant_id", "requester_id", "created_at"])
    op.create_table(
        "ticket_index_users",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "user_id"),
    )
    op.create_index("ix_ticket_index_users_email", "ticket_index_users", ["tenant_id", "email"])
    op.create_table(
        "ticket_index_state",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.String(length=512), nullable=True),
        sa.Column("backfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("ticket_index_state")
    op.drop_index("ix_ticket_index_users_email", table_name="ticket_index_users")
    op.drop_table("ticket_index_users")
    op.drop_index("ix_ticket_index_requester", table_name="ticket_index")
    op.drop_table("ticket_index")
