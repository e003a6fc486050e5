"""payment codes: a member pays a web shop's order with points

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

import engine.orm.types


revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payment_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('used_by_terminal_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_payment_codes_member_id_members')),
        sa.ForeignKeyConstraint(['used_by_terminal_id'], ['terminals.id'],
                                name=op.f('fk_payment_codes_used_by_terminal_id_terminals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_payment_codes_code_hash')),
    )
    op.create_index(op.f('ix_payment_codes_member_id'), 'payment_codes', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_payment_codes_member_id'), table_name='payment_codes')
    op.drop_table('payment_codes')
