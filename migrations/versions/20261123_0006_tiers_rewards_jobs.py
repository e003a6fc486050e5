"""tiers and scheduled jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 23:17:18.412815
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0006'
down_revision = '0005'
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
    op.create_table('rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('points_price', sa.BigInteger(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=True),
    sa.Column('per_member_limit', sa.Integer(), nullable=True),
    sa.Column('valid_from', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('per_member_limit IS NULL OR per_member_limit > 0', name=op.f('ck_rewards_limit_positive')),
    sa.CheckConstraint('points_price > 0', name=op.f('ck_rewards_price_positive')),
    sa.CheckConstraint('stock IS NULL OR stock >= 0', name=op.f('ck_rewards_stock_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards')),
    sa.UniqueConstraint('code', name=op.f('uq_rewards_code'))
    )
    op.create_table('tier_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_kind', sa.String(length=20), nullable=False),
    sa.Column('window_months', sa.Integer(), nullable=False),
    sa.Column('review', sa.String(length=20), nullable=False),
    sa.Column('grace_months', sa.Integer(), nullable=False),
    sa.Column('updated_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("review IN ('calendar', 'anniversary')", name=op.f('ck_tier_policy_review')),
    sa.CheckConstraint("window_kind IN ('rolling_months', 'calendar_year')", name=op.f('ck_tier_policy_window_kind')),
    sa.CheckConstraint('id = 1', name=op.f('ck_tier_policy_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_policy'))
    )
    op.create_table('tiers',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.BigInteger(), nullable=False),
    sa.Column('earn_multiplier', sa.Numeric(precision=6, scale=3), nullable=False),
    sa.CheckConstraint('threshold >= 0', name=op.f('ck_tiers_threshold_not_negative')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_tiers')),
    sa.UniqueConstraint('rank', name=op.f('uq_tiers_rank'))
    )
    op.create_table('member_tiers',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tier_code', sa.String(length=32), nullable=False),
    sa.Column('since', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review_due_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('grace_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_tiers_member_id_members')),
    sa.ForeignKeyConstraint(['tier_code'], ['tiers.code'], name=op.f('fk_member_tiers_tier_code_tiers')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_tiers'))
    )
    with op.batch_alter_table('member_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_tiers_review_due_at'), ['review_due_at'], unique=False)

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

    op.create_table('reward_tier_prices',
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('tier_code', sa.String(length=32), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_reward_tier_prices_points_positive')),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_reward_tier_prices_reward_id_rewards')),
    sa.ForeignKeyConstraint(['tier_code'], ['tiers.code'], name=op.f('fk_reward_tier_prices_tier_code_tiers')),
    sa.PrimaryKeyConstraint('reward_id', 'tier_code', name=op.f('pk_reward_tier_prices'))
    )
    op.create_table('tier_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_code', sa.String(length=32), nullable=True),
    sa.Column('to_code', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('enrolment', 'upgrade', 'review', 'grace', 'manual')", name=op.f('ck_tier_changes_reason')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_tier_changes_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_changes'))
    )
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_changes_member_id'), ['member_id'], unique=False)

    op.create_table('birthday_bonuses',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_birthday_bonuses_member_id_members')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_birthday_bonuses_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('member_id', 'year', name=op.f('pk_birthday_bonuses'))
    )
    op.create_table('vouchers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('issued_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('return_transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status IN ('issued', 'used', 'cancelled')", name=op.f('ck_vouchers_status')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_vouchers_hold_id_holds')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_vouchers_member_id_members')),
    sa.ForeignKeyConstraint(['return_transaction_id'], ['ledger_transactions.id'], name=op.f('fk_vouchers_return_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_vouchers_reward_id_rewards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers')),
    sa.UniqueConstraint('code', name=op.f('uq_vouchers_code')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_vouchers_hold_id'))
    )
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.create_index('ix_vouchers_reward_id_member_id', ['reward_id', 'member_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_index('ix_vouchers_reward_id_member_id')

    op.drop_table('vouchers')
    op.drop_table('birthday_bonuses')
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_changes_member_id'))

    op.drop_table('tier_changes')
    op.drop_table('reward_tier_prices')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_member_id'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('member_tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_tiers_review_due_at'))

    op.drop_table('member_tiers')
    op.drop_table('tiers')
    op.drop_table('tier_policy')
    op.drop_table('rewards')
    op.drop_table('job_runs')
    # ### end Alembic commands ###
