"""programme, stores, terminals, members, cards

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 19:38:42.005815
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('enrolled_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name=op.f('ck_members_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('public_id', name=op.f('uq_members_public_id'))
    )
    op.create_table('programme_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('points_name', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('currency_exponent', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('earn_points', sa.Integer(), nullable=False),
    sa.Column('earn_per_minor', sa.Integer(), nullable=False),
    sa.Column('pending_days', sa.Integer(), nullable=False),
    sa.Column('expiry_policy', sa.String(length=20), nullable=False),
    sa.Column('expiry_months', sa.Integer(), nullable=True),
    sa.Column('expiry_rounding', sa.String(length=20), nullable=False),
    sa.Column('negative_balance_policy', sa.String(length=20), nullable=False),
    sa.Column('redeem_points', sa.Integer(), nullable=False),
    sa.Column('redeem_value_minor', sa.Integer(), nullable=False),
    sa.Column('updated_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("expiry_policy IN ('never', 'after_earning', 'after_inactivity')", name=op.f('ck_programme_settings_expiry_policy')),
    sa.CheckConstraint("expiry_rounding IN ('none', 'end_of_month', 'end_of_quarter', 'end_of_year')", name=op.f('ck_programme_settings_expiry_rounding')),
    sa.CheckConstraint("negative_balance_policy IN ('allow_negative', 'write_off', 'refuse')", name=op.f('ck_programme_settings_negative_balance_policy')),
    sa.CheckConstraint('id = 1', name=op.f('ck_programme_settings_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_settings'))
    )
    op.create_table('stores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('group_code', sa.String(length=32), nullable=True),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')),
    sa.UniqueConstraint('code', name=op.f('uq_stores_code'))
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stores_group_code'), ['group_code'], unique=False)

    op.create_table('cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('block_reason', sa.String(length=200), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'applet' AND key_version IS NOT NULL) OR (kind = 'uid' AND key_version IS NULL)", name=op.f('ck_cards_key_version_for_applet_only')),
    sa.CheckConstraint("(status = 'blocked') = (block_reason IS NOT NULL)", name=op.f('ck_cards_block_reason_when_blocked')),
    sa.CheckConstraint("kind IN ('applet', 'uid')", name=op.f('ck_cards_kind')),
    sa.CheckConstraint("status IN ('issued', 'active', 'blocked', 'replaced', 'retired')", name=op.f('ck_cards_status')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_cards_member_id_members')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['cards.id'], name=op.f('fk_cards_replaced_by_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('number', name=op.f('uq_cards_number'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cards_member_id'), ['member_id'], unique=False)

    op.create_table('member_profiles',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('consent_marketing_email', sa.Boolean(), nullable=False),
    sa.Column('consent_marketing_sms', sa.Boolean(), nullable=False),
    sa.Column('consent_profiling', sa.Boolean(), nullable=False),
    sa.Column('consents_updated_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_profiles_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_profiles')),
    sa.UniqueConstraint('email', name=op.f('uq_member_profiles_email'))
    )
    op.create_table('terminals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'retired')", name=op.f('ck_terminals_status')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_terminals_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terminals')),
    sa.UniqueConstraint('code', name=op.f('uq_terminals_code'))
    )
    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_terminals_store_id'), ['store_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('terminals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_terminals_store_id'))

    op.drop_table('terminals')
    op.drop_table('member_profiles')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cards_member_id'))

    op.drop_table('cards')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stores_group_code'))

    op.drop_table('stores')
    op.drop_table('programme_settings')
    op.drop_table('members')
