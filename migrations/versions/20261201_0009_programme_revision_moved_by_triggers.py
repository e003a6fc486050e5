"""programme revision moved by triggers on the configuration tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The configuration every accrual reads (engine/snapshot.py keeps it per process): any
# change to these tables moves the revision, in the same transaction as the change.
WATCHED = ("programme_settings", "stores", "terminals", "terminal_credentials", "rule_versions", "campaigns",
           "segments", "tiers", "tier_policy")
# Budget slices are updated by every accrual that spends campaign points; only their
# number (created and removed with the campaign's budget) belongs to the configuration.
WATCHED_INSERT_DELETE = ("campaign_budget_slices",)
BUMP = "UPDATE programme_revision SET revision = revision + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        'programme_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_programme_revision_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_revision')),
    )
    op.execute("INSERT INTO programme_revision (id, revision) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION bump_programme_revision() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table in WATCHED + WATCHED_INSERT_DELETE:
            events = "INSERT OR DELETE" if table in WATCHED_INSERT_DELETE else "INSERT OR UPDATE OR DELETE OR TRUNCATE"
            op.execute(f"CREATE TRIGGER {table}_moves_revision AFTER {events} ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION bump_programme_revision()")
    else:
        for table, event in _sqlite_triggers():
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_moves_revision AFTER {event} ON {table} "
                       f"BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED + WATCHED_INSERT_DELETE:
            op.execute(f"DROP TRIGGER {table}_moves_revision ON {table}")
        op.execute("DROP FUNCTION bump_programme_revision()")
    else:
        for table, event in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {table}_{event.lower()}_moves_revision")
    op.drop_table('programme_revision')


def _sqlite_triggers():
    """(table, event) of every SQLite trigger (SQLite has no statement-level triggers on
    several events at once)."""
    for table in WATCHED + WATCHED_INSERT_DELETE:
        for event in ("INSERT", "DELETE") if table in WATCHED_INSERT_DELETE else ("INSERT", "UPDATE", "DELETE"):
            yield table, event
