"""The answers are the intake's outbox (issue 16: a webhook's transaction writes its answer, and
a detractor's case, and nothing else). The worker feeds each new answer once (``cases.feeding``):
it queues the answer's job (the case's plan or the contact's sync) and writes its delivery-log
row, from the answer and its ``delivery_id``, then sets ``fed_at``. Every answer before this
revision had both written at intake: its ``fed_at`` is its ``received_at``. The partial index
holds only the answers not fed yet: a few, for the milliseconds after their 202.

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_UNFED = sa.text("fed_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("delivery_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("fed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE answers SET fed_at = received_at")
    op.create_index("ix_answers_unfed", "answers", ["id"], sqlite_where=_UNFED, postgresql_where=_UNFED)


def downgrade() -> None:
    op.drop_index("ix_answers_unfed", table_name="answers")
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("fed_at")
        batch.drop_column("delivery_id")
