"""Baseline: the schema of the releases before migrations (answers, cases, stages, jobs, ledger,
deliveries, rate buckets).

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('customer_email', sa.String(length=320), nullable=False),
    sa.Column('opening_answer_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('profile', sa.String(length=16), nullable=True),
    sa.Column('profile_signals', sa.JSON(), nullable=False),
    sa.Column('value_tier', sa.String(length=16), nullable=False),
    sa.Column('lifetime_value', sa.Float(), nullable=True),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('owner', sa.String(length=320), nullable=True),
    sa.Column('owner_name', sa.String(length=200), nullable=True),
    sa.Column('zendesk_assignee_email', sa.String(length=320), nullable=True),
    sa.Column('zendesk_group_id', sa.Integer(), nullable=True),
    sa.Column('hubspot_owner', sa.String(length=320), nullable=True),
    sa.Column('zendesk_ticket_id', sa.Integer(), nullable=True),
    sa.Column('hubspot_contact_id', sa.String(length=64), nullable=True),
    sa.Column('zendesk_synced', sa.Boolean(), nullable=False),
    sa.Column('hubspot_synced', sa.Boolean(), nullable=False),
    sa.Column('hubspot_ticket_url_synced', sa.Boolean(), nullable=False),
    sa.Column('sync_failed', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing_answer_id', sa.Integer(), nullable=True),
    sa.Column('previous_case_id', sa.Integer(), nullable=True),
    sa.Column('base_priority', sa.String(length=8), nullable=True),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_cases_customer_email', 'cases', ['customer_email'])

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('delivery_id', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_deliveries_received', 'deliveries', ['received_at'])

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    op.create_index('ix_jobs_claim', 'jobs', ['status', 'run_at'])

    op.create_table('rate_buckets',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('side_effects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'key', name='uq_effect')
    )
    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('response_id', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('survey_type', sa.String(length=8), nullable=False),
    sa.Column('survey_id', sa.String(length=200), nullable=True),
    sa.Column('survey_name', sa.String(length=200), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('customer_email', sa.String(length=320), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('lifetime_value', sa.Float(), nullable=True),
    sa.Column('vip', sa.Boolean(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('answer_body', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'response_id', name='uq_answer_response')
    )
    op.create_index('ix_answers_customer_email', 'answers', ['customer_email'])

    op.create_table('stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'key', name='uq_stage_key')
    )


def downgrade() -> None:
    op.drop_table('stages')
    op.drop_table('answers')
    op.drop_table('side_effects')
    op.drop_table('rate_buckets')
    op.drop_table('jobs')
    op.drop_table('deliveries')
    op.drop_table('cases')

