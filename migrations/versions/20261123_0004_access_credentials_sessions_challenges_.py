"""access credentials sessions challenges audit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 22:07:06.882409
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _append_only(table: str) -> None:
    # The audit log is evidence: rows are added, never changed or removed.
    for verb in ('update', 'delete'):
        name, message = f'{table}_no_{verb}', f'{table} is append-only: {verb} refused'
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f"CREATE TRIGGER {name} BEFORE {verb.upper()} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        else:
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
            op.execute(f"CREATE TRIGGER {name} BEFORE {verb.upper()} ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def _drop_append_only(table: str) -> None:
    for verb in ('update', 'delete'):
        name = f'{table}_no_{verb}'
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        else:
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
            op.execute(f'DROP FUNCTION IF EXISTS {name}()')


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('staff_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_accounts_username'))
    )
    op.create_table('member_logins',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('failed_pins', sa.Integer(), nullable=False),
    sa.Column('pin_locked_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_logins_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_logins'))
    )
    op.create_table('access_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('can_redeem', sa.Boolean(), nullable=False),
    sa.Column('issued_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('member', 'staff', 'card')", name=op.f('ck_access_tokens_kind')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_access_tokens_card_id_cards')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_access_tokens_member_id_members')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_access_tokens_staff_id_staff_accounts')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_access_tokens_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_access_tokens'))
    )
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_tokens_member_id'), ['member_id'], unique=False)

    op.create_table('adjustment_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_adjustment_requests_status')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_adjustment_requests_member_id_members')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_adjustment_requests_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_adjustment_requests_public_id'))
    )
    with op.batch_alter_table('adjustment_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustment_requests_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustment_requests_status'), ['status'], unique=False)

    op.create_table('card_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.LargeBinary(length=32), nullable=False),
    sa.Column('issued_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_card_challenges_card_id_cards')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_card_challenges_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_challenges')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_challenges_public_id'))
    )
    with op.batch_alter_table('card_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_challenges_expires_at'), ['expires_at'], unique=False)

    op.create_table('offline_card_proofs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('counter', sa.BigInteger(), nullable=False),
    sa.Column('receipt_number', sa.String(length=64), nullable=False),
    sa.Column('accepted_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_offline_card_proofs_card_id_cards')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_offline_card_proofs_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_card_proofs')),
    sa.UniqueConstraint('card_id', 'terminal_id', 'counter', name=op.f('uq_offline_card_proofs_card_id_terminal_id_counter'))
    )
    op.create_table('terminal_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=40), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_terminal_credentials_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terminal_credentials')),
    sa.UniqueConstraint('key_id', name=op.f('uq_terminal_credentials_key_id'))
    )
    with op.batch_alter_table('terminal_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_terminal_credentials_terminal_id'), ['terminal_id'], unique=False)

    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjustment_approval_threshold', sa.Integer(), server_default='1000', nullable=False))
        batch_op.add_column(sa.Column('uid_cards_redeem_with_pin', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('offline_max_age_hours', sa.Integer(), server_default='72', nullable=False))

    # ### end Alembic commands ###
    _append_only('audit_log')


def downgrade() -> None:
    _drop_append_only('audit_log')
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.drop_column('offline_max_age_hours')
        batch_op.drop_column('uid_cards_redeem_with_pin')
        batch_op.drop_column('adjustment_approval_threshold')

    with op.batch_alter_table('terminal_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_terminal_credentials_terminal_id'))

    op.drop_table('terminal_credentials')
    op.drop_table('offline_card_proofs')
    with op.batch_alter_table('card_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_challenges_expires_at'))

    op.drop_table('card_challenges')
    with op.batch_alter_table('adjustment_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustment_requests_status'))
        batch_op.drop_index(batch_op.f('ix_adjustment_requests_member_id'))

    op.drop_table('adjustment_requests')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_tokens_member_id'))
        batch_op.drop_index(batch_op.f('ix_access_tokens_expires_at'))

    op.drop_table('access_tokens')
    op.drop_table('member_logins')
    op.drop_table('staff_accounts')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    # ### end Alembic commands ###
