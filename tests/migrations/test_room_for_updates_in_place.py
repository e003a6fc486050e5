"""Lots and accounts keep a fifth of each page free on PostgreSQL (migration 0041), so that
a balance or a lot changed in place is written beside its row, with no index entry (a
heap-only update); full pages send every change to another page and into every index."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from engine import schema
from engine.database import Database
from engine.ledger.adjustments import adjust_points
from engine.ledger.commands import AdjustPoints
from engine.members import enrol_member
from engine.orm.ledger import ROOM_FOR_UPDATES_IN_PLACE

pytestmark = pytest.mark.postgres

TABLES = ("lots", "accounts")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def fill_factors(db: Database) -> dict[str, int | None]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT relname, reloptions FROM pg_class WHERE relname IN :tables")
                                  .bindparams(sa.bindparam("tables", expanding=True)), {"tables": list(TABLES)})
        return {name: next((int(option.partition("=")[2]) for option in options or ()
                            if option.startswith("fillfactor=")), None) for name, options in rows}


def heap_only_updates_of_a_full_page_of_lots(db: Database, changed: int) -> int:
    """Fill a few pages with a member's lots (copies of one credit's lot: a storage test, not
    a ledger), change ``changed`` lots of the first page in place, and count how many of
    those changes stayed on the page."""
    member = enrol_member(db, full_name="Page Filler", now=NOW)
    adjust_points(db, AdjustPoints(member.public_id, 100, "pages", "tester"), caller="tester",
                  idempotency_key="fill", now=NOW)
    with db.transaction() as session:
        session.execute(sa.text(
            "INSERT INTO lots (member_id, transaction_id, amount, remaining, reserved, earned_at, available_at, "
            "expires_at) SELECT member_id, transaction_id, amount, remaining, reserved, earned_at, available_at, "
            "expires_at FROM lots, generate_series(1, 300)"))
    with db.transaction() as session:
        session.execute(sa.text(
            "UPDATE lots SET remaining = remaining - 1 WHERE ctid = ANY(ARRAY(SELECT ctid FROM lots "
            "WHERE (ctid::text::point)[0] = 0 ORDER BY ctid LIMIT :changed))"), {"changed": changed})
        return session.scalar(sa.text("SELECT pg_stat_get_xact_tuples_hot_updated('lots'::regclass)"))


def test_lots_and_accounts_leave_a_fifth_of_each_page_free(postgres_db):
    assert fill_factors(postgres_db) == {table: ROOM_FOR_UPDATES_IN_PLACE["postgresql_with"]["fillfactor"]
                                         for table in TABLES}


def test_a_lot_changed_in_place_stays_on_its_page(postgres_db):
    assert heap_only_updates_of_a_full_page_of_lots(postgres_db, changed=10) == 10


def test_before_the_migration_a_lot_changed_on_a_full_page_moves_to_another(postgres_db):
    schema.downgrade(postgres_db, "0040")
    assert fill_factors(postgres_db) == {table: None for table in TABLES}
    assert heap_only_updates_of_a_full_page_of_lots(postgres_db, changed=10) == 0


def test_going_back_and_forward_again_frees_the_room_again(postgres_db):
    schema.downgrade(postgres_db, "0040")
    schema.upgrade(postgres_db)
    assert fill_factors(postgres_db) == {table: 80 for table in TABLES}
