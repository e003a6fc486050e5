"""points ledger: accounts, transactions, entries, lots, holds, receipts, refunds, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:53:54.962180
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types

SYSTEM_ACCOUNTS = ('issuance', 'redemption', 'expiry', 'adjustment')
IMMUTABLE_TABLES = ('ledger_transactions', 'ledger_entries')


def _create_immutability_trigger(table: str, verb: str) -> None:
    # Ledger rows are append-only: corrections are new transactions, never edits.
    name = f'{table}_no_{verb}'
    message = f'{table} are immutable: {verb} refused'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"CREATE TRIGGER {name} BEFORE {verb.upper()} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    else:
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
        op.execute(f"CREATE TRIGGER {name} BEFORE {verb.upper()} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def _drop_immutability_trigger(table: str, verb: str) -> None:
    name = f'{table}_no_{verb}'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'DROP TRIGGER IF EXISTS {name}')
    else:
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
        op.execute(f'DROP FUNCTION IF EXISTS {name}()')


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('command', sa.String(length=40), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('caller', 'key', name=op.f('uq_idempotency_keys_caller_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('debt', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("(kind = 'member') = (member_id IS NOT NULL)", name=op.f('ck_accounts_member_iff_member_kind')),
    sa.CheckConstraint("kind IN ('member', 'issuance', 'redemption', 'expiry', 'adjustment')", name=op.f('ck_accounts_kind')),
    sa.CheckConstraint('debt >= 0', name=op.f('ck_accounts_debt_not_negative')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_accounts_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_accounts_code')),
    sa.UniqueConstraint('member_id', name=op.f('uq_accounts_member_id'))
    )
    op.create_table('ledger_transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('earn', 'capture', 'refund', 'expire', 'adjust')", name=op.f('ck_ledger_transactions_kind')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ledger_transactions_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions'))
    )
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transactions_member_id'), ['member_id'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('placed_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('captured_points', sa.BigInteger(), nullable=True),
    sa.Column('capture_transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('receipt_number', sa.String(length=64), nullable=True),
    sa.CheckConstraint("(status = 'captured') = (captured_points IS NOT NULL)", name=op.f('ck_holds_captured_iff_status')),
    sa.CheckConstraint("(status = 'pending') = (resolved_at IS NULL)", name=op.f('ck_holds_resolved_once')),
    sa.CheckConstraint("status IN ('pending', 'captured', 'voided', 'expired')", name=op.f('ck_holds_status')),
    sa.CheckConstraint('captured_points IS NULL OR (captured_points > 0 AND captured_points <= points)', name=op.f('ck_holds_capture_within_hold')),
    sa.CheckConstraint('points > 0', name=op.f('ck_holds_points_positive')),
    sa.ForeignKeyConstraint(['capture_transaction_id'], ['ledger_transactions.id'], name=op.f('fk_holds_capture_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_holds_member_id_members')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_holds_store_id_stores')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_holds_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds')),
    sa.UniqueConstraint('public_id', name=op.f('uq_holds_public_id'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_member_id'), ['member_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ledger_entries_account_id_accounts')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_entries_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.Column('earned_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('available_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('0 <= reserved AND reserved <= remaining AND remaining <= amount', name=op.f('ck_lots_bounds')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lots_member_id_members')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_lots_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots'))
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_lots_member_id_expires_at', ['member_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lots_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('receipt_number', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_with_points_minor', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_receipts_member_id_members')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_receipts_store_id_stores')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_receipts_terminal_id_terminals')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_receipts_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('store_id', 'terminal_id', 'receipt_number', name=op.f('uq_receipts_store_id_terminal_id_receipt_number'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_member_id'), ['member_id'], unique=False)

    op.create_table('hold_lots',
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_lots_hold_id_holds')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_hold_lots_lot_id_lots')),
    sa.PrimaryKeyConstraint('hold_id', 'lot_id', name=op.f('pk_hold_lots'))
    )
    with op.batch_alter_table('hold_lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hold_lots_lot_id'), ['lot_id'], unique=False)

    op.create_table('lot_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_allocations_lot_id_lots')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_lot_allocations_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_allocations'))
    )
    with op.batch_alter_table('lot_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_allocations_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_allocations_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('receipt_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('brand', sa.String(length=64), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('eligible_minor', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_receipt_lines_receipt_id_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_lines')),
    sa.UniqueConstraint('receipt_id', 'line_no', name=op.f('uq_receipt_lines_receipt_id_line_no'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('occurred_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('points_reversed', sa.BigInteger(), nullable=False),
    sa.Column('points_returned', sa.BigInteger(), nullable=False),
    sa.Column('points_written_off', sa.BigInteger(), nullable=False),
    sa.Column('debt_created', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_refunds_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_refunds_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('refund_lines',
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('receipt_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['receipt_line_id'], ['receipt_lines.id'], name=op.f('fk_refund_lines_receipt_line_id_receipt_lines')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_lines_refund_id_refunds')),
    sa.PrimaryKeyConstraint('refund_id', 'receipt_line_id', name=op.f('pk_refund_lines'))
    )
    with op.batch_alter_table('refund_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_lines_receipt_line_id'), ['receipt_line_id'], unique=False)

    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_timeout_minutes', sa.Integer(), nullable=False, server_default='15'))
        batch_op.add_column(sa.Column('idempotency_retention_days', sa.Integer(), nullable=False, server_default='30'))
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.alter_column('hold_timeout_minutes', server_default=None)
        batch_op.alter_column('idempotency_retention_days', server_default=None)

    accounts = sa.table('accounts', sa.column('code', sa.String), sa.column('kind', sa.String),
                        sa.column('member_id', sa.Integer), sa.column('balance', sa.BigInteger),
                        sa.column('debt', sa.BigInteger))
    op.bulk_insert(accounts, [{'code': f'system:{kind}', 'kind': kind, 'member_id': None, 'balance': 0, 'debt': 0}
                              for kind in SYSTEM_ACCOUNTS])
    # Every member enrolled before the ledger existed gets their (empty) points account.
    op.execute("INSERT INTO accounts (code, kind, member_id, balance, debt) "
               "SELECT 'member:' || public_id, 'member', id, 0, 0 FROM members")
    for table in IMMUTABLE_TABLES:
        for verb in ('update', 'delete'):
            _create_immutability_trigger(table, verb)



def downgrade() -> None:
    for table in IMMUTABLE_TABLES:
        for verb in ('update', 'delete'):
            _drop_immutability_trigger(table, verb)
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.drop_column('idempotency_retention_days')
        batch_op.drop_column('hold_timeout_minutes')

    with op.batch_alter_table('refund_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_lines_receipt_line_id'))

    op.drop_table('refund_lines')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_receipt_id'))

    op.drop_table('refunds')
    op.drop_table('receipt_lines')
    with op.batch_alter_table('lot_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_allocations_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_lot_allocations_lot_id'))

    op.drop_table('lot_allocations')
    with op.batch_alter_table('hold_lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hold_lots_lot_id'))

    op.drop_table('hold_lots')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_member_id'))

    op.drop_table('receipts')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_transaction_id'))
        batch_op.drop_index('ix_lots_member_id_expires_at')
        batch_op.drop_index(batch_op.f('ix_lots_expires_at'))

    op.drop_table('lots')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_account_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_member_id'))
        batch_op.drop_index(batch_op.f('ix_holds_deadline'))

    op.drop_table('holds')
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_member_id'))

    op.drop_table('ledger_transactions')
    op.drop_table('accounts')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
