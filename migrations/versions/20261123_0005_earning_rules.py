"""earning rules

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:53:45.200010
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


PUBLISHED_MESSAGE = 'a published rule version is immutable: its definition cannot change'


def _create_published_rule_trigger() -> None:
    # A published (or superseded, retired) version keeps its definition and digest forever;
    # only its status and valid_until move on. A draft may be edited.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE TRIGGER rule_versions_published_immutable BEFORE UPDATE OF definition, digest, rule_key, "
                   "version, published_at ON rule_versions WHEN OLD.status <> 'draft' "
                   f"BEGIN SELECT RAISE(ABORT, '{PUBLISHED_MESSAGE}'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION rule_versions_published_immutable() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN "
                   "IF OLD.status <> 'draft' AND (NEW.definition::text IS DISTINCT FROM OLD.definition::text "
                   "OR NEW.digest <> OLD.digest OR NEW.rule_key <> OLD.rule_key OR NEW.version <> OLD.version "
                   "OR NEW.published_at IS DISTINCT FROM OLD.published_at) "
                   f"THEN RAISE EXCEPTION '{PUBLISHED_MESSAGE}'; END IF; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER rule_versions_published_immutable BEFORE UPDATE ON rule_versions "
                   "FOR EACH ROW EXECUTE FUNCTION rule_versions_published_immutable()")


def _drop_published_rule_trigger() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS rule_versions_published_immutable')
    else:
        op.execute('DROP TRIGGER IF EXISTS rule_versions_published_immutable ON rule_versions')
        op.execute('DROP FUNCTION IF EXISTS rule_versions_published_immutable()')


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=True),
    sa.Column('segment_code', sa.String(length=64), nullable=True),
    sa.Column('holdout_share', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('budget IS NULL OR budget > 0', name=op.f('ck_campaigns_budget_positive')),
    sa.CheckConstraint('holdout_share >= 0 AND holdout_share < 1', name=op.f('ck_campaigns_holdout_share_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('code', name=op.f('uq_campaigns_code'))
    )
    op.create_table('rule_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.CheckConstraint("(status = 'draft') = (published_at IS NULL)", name=op.f('ck_rule_versions_published_iff_not_draft')),
    sa.CheckConstraint("status IN ('draft', 'published', 'superseded', 'retired')", name=op.f('ck_rule_versions_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_versions')),
    sa.UniqueConstraint('rule_key', 'version', name=op.f('uq_rule_versions_rule_key_version'))
    )
    with op.batch_alter_table('rule_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_versions_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_versions_rule_key'), ['rule_key'], unique=False)

    op.create_table('segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=True),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('list', 'predicate')", name=op.f('ck_segments_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    sa.UniqueConstraint('code', name=op.f('uq_segments_code'))
    )
    op.create_table('campaign_budget_slices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('slice_no', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('used', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('used >= 0 AND used <= size', name=op.f('ck_campaign_budget_slices_used_within_size')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_budget_slices_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_budget_slices')),
    sa.UniqueConstraint('campaign_id', 'slice_no', name=op.f('uq_campaign_budget_slices_campaign_id_slice_no'))
    )
    op.create_table('member_attributes',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_attributes_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', 'name', name=op.f('pk_member_attributes'))
    )
    op.create_table('segment_members',
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_segment_members_member_id_members')),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_segment_members_segment_id_segments')),
    sa.PrimaryKeyConstraint('segment_id', 'member_id', name=op.f('pk_segment_members'))
    )
    with op.batch_alter_table('segment_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_members_member_id'), ['member_id'], unique=False)

    op.create_table('receipt_rule_awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rule_version_id', sa.Integer(), nullable=True),
    sa.Column('rule_key', sa.String(length=64), nullable=False),
    sa.Column('campaign_code', sa.String(length=64), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('desired', sa.BigInteger(), nullable=False),
    sa.Column('applied', sa.BigInteger(), nullable=False),
    sa.Column('capped_by', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_receipt_rule_awards_member_id_members')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_receipt_rule_awards_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['rule_version_id'], ['rule_versions.id'], name=op.f('fk_receipt_rule_awards_rule_version_id_rule_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_rule_awards'))
    )
    with op.batch_alter_table('receipt_rule_awards', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_rule_awards_member_rule_day', ['member_id', 'rule_key', 'local_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_rule_awards_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('receipt_line_rule_points',
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('receipt_line_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['receipt_rule_awards.id'], name=op.f('fk_receipt_line_rule_points_award_id_receipt_rule_awards')),
    sa.ForeignKeyConstraint(['receipt_line_id'], ['receipt_lines.id'], name=op.f('fk_receipt_line_rule_points_receipt_line_id_receipt_lines')),
    sa.PrimaryKeyConstraint('award_id', 'receipt_line_id', name=op.f('pk_receipt_line_rule_points'))
    )
    with op.batch_alter_table('receipt_line_rule_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_line_rule_points_receipt_line_id'), ['receipt_line_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('referred_id', sa.Integer(), nullable=False),
    sa.Column('referrer_points', sa.BigInteger(), nullable=False),
    sa.Column('referred_points', sa.BigInteger(), nullable=False),
    sa.Column('min_total_minor', sa.BigInteger(), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rewarded_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('referrer_transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('referrer_id <> referred_id', name=op.f('ck_referrals_not_self')),
    sa.CheckConstraint('referrer_points >= 0 AND referred_points >= 0', name=op.f('ck_referrals_points_not_negative')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_referrals_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['referred_id'], ['members.id'], name=op.f('fk_referrals_referred_id_members')),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referrals_referrer_id_members')),
    sa.ForeignKeyConstraint(['referrer_transaction_id'], ['ledger_transactions.id'], name=op.f('fk_referrals_referrer_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('referred_id', name=op.f('uq_referrals_referred_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_referrer_id'), ['referrer_id'], unique=False)

    # ### end Alembic commands ###
    _create_published_rule_trigger()


def downgrade() -> None:
    _drop_published_rule_trigger()
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_referrer_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('receipt_line_rule_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_line_rule_points_receipt_line_id'))

    op.drop_table('receipt_line_rule_points')
    with op.batch_alter_table('receipt_rule_awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_rule_awards_receipt_id'))
        batch_op.drop_index('ix_receipt_rule_awards_member_rule_day')

    op.drop_table('receipt_rule_awards')
    with op.batch_alter_table('segment_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_members_member_id'))

    op.drop_table('segment_members')
    op.drop_table('member_attributes')
    op.drop_table('campaign_budget_slices')
    op.drop_table('segments')
    with op.batch_alter_table('rule_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_versions_rule_key'))
        batch_op.drop_index(batch_op.f('ix_rule_versions_published_at'))

    op.drop_table('rule_versions')
    op.drop_table('campaigns')
    # ### end Alembic commands ###
