"""scheduled jobs: runs, outbox, birthday bonuses

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23 23:03:24.427244
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('as_of', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.Column('started_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f('ck_job_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job', 'as_of', name=op.f('uq_job_runs_job_as_of'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_outbox_messages_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_member_id'), ['member_id'], unique=False)

    op.create_table('birthday_bonuses',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_birthday_bonuses_member_id_members')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_birthday_bonuses_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('member_id', 'year', name=op.f('pk_birthday_bonuses'))
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('birthday_bonuses')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_member_id'))

    op.drop_table('outbox_messages')
    op.drop_table('job_runs')
    # ### end Alembic commands ###
