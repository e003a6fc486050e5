"""webhooks: endpoints (part of the kept configuration) and their deliveries

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

import engine.orm.types


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

BUMP = "UPDATE programme_revision SET revision = revision + 1 WHERE id = 1"
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('kinds', sa.Text(), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
        sa.UniqueConstraint('url', name=op.f('uq_webhook_endpoints_url')),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_attempt_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_webhook_deliveries_status')),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'],
                                name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_webhook_deliveries_endpoint', 'webhook_deliveries', ['endpoint_id', 'id'], unique=False)
    # the endpoints are configuration: a change moves the programme's revision (migration 0009)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER webhook_endpoints_moves_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   "ON webhook_endpoints FOR EACH STATEMENT EXECUTE FUNCTION bump_programme_revision()")
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"CREATE TRIGGER webhook_endpoints_{event.lower()}_moves_revision AFTER {event} "
                       f"ON webhook_endpoints BEGIN {BUMP}; END")


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_endpoint', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')  # its triggers go with it
