"""refer a friend: the bonuses in the programme settings, members' referral codes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not batch_alter_table: on SQLite it rebuilds the table, without its revision triggers
    op.add_column('programme_settings', sa.Column('referrer_points', sa.Integer(), server_default='0', nullable=False))
    op.add_column('programme_settings', sa.Column('referred_points', sa.Integer(), server_default='0', nullable=False))
    op.add_column('programme_settings', sa.Column('referral_min_total_minor', sa.BigInteger(), server_default='0',
                                                  nullable=False))
    op.create_table(
        'referral_codes',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_referral_codes_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_referral_codes')),
        sa.UniqueConstraint('code', name=op.f('uq_referral_codes_code')),
    )


def downgrade() -> None:
    op.drop_table('referral_codes')
    op.drop_column('programme_settings', 'referral_min_total_minor')
    op.drop_column('programme_settings', 'referred_points')
    op.drop_column('programme_settings', 'referrer_points')
