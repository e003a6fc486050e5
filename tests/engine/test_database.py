from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from engine import stores
from engine.database import Database, postgresql_row
from engine.orm.stores import StoreRow
from engine.orm.types import UTCDateTime


def test_a_transaction_that_fails_leaves_nothing_behind(database, clock):
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.add(StoreRow(code="A", name="A", timezone="UTC", created_at=clock()))
        session.flush()
        raise RuntimeError("crash after the insert")
    assert stores.list_stores(database) == []


def test_instants_come_back_in_utc_whatever_zone_they_were_given_in(database):
    berlin_noon = datetime.fromisoformat("2026-07-01T12:00:00+02:00")
    with database.transaction() as session:
        session.add(StoreRow(code="A", name="A", timezone="UTC", created_at=berlin_noon))
    with database.transaction() as session:
        stored = session.scalar(sa.select(StoreRow.created_at))
    assert stored == datetime(2026, 7, 1, 10, tzinfo=UTC) and stored.tzinfo is UTC


def test_a_naive_datetime_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), sa.create_engine("sqlite://").dialect)


def test_sqlite_enforces_foreign_keys(sqlite_db):
    with pytest.raises(sa.exc.IntegrityError), sqlite_db.transaction() as session:
        session.execute(sa.text("INSERT INTO terminals (code, store_id, name, status, created_at) "
                                "VALUES ('T', 999, 'T', 'active', '2026-01-01')"))


@pytest.mark.postgres
def test_a_statement_sent_by_the_driver_sees_pending_changes_and_rolls_back_with_the_transaction(postgres_db, clock):
    count = sa.text("SELECT count(*) AS stores, max(code) AS last FROM stores WHERE code LIKE :prefix")
    with pytest.raises(RuntimeError), postgres_db.transaction() as session:
        session.add(StoreRow(code="DRV-1", name="A", timezone="UTC", created_at=clock()))  # not flushed yet
        assert tuple(postgresql_row(session, count, {"prefix": "DRV-%"})) == (1, "DRV-1")
        postgresql_row(session, sa.text("INSERT INTO stores (code, name, timezone, created_at) "
                                         "VALUES (:code, 'B', 'UTC', :at)"), {"code": "DRV-2", "at": clock()})
        assert postgresql_row(session, count, {"prefix": "DRV-%"}).stores == 2
        raise RuntimeError("crash after both inserts")
    assert stores.list_stores(postgres_db) == []


@pytest.mark.postgres
def test_a_connection_lost_under_a_driver_statement_is_not_handed_out_again(postgres_db):
    one, pid = sa.text("SELECT 1 AS one"), sa.text("SELECT pg_backend_pid() AS pid")
    killer = Database(str(postgres_db.url))
    try:
        with pytest.raises(sa.exc.OperationalError), postgres_db.transaction() as session:
            backend = postgresql_row(session, pid, {}).pid
            with killer.autocommit_session() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            postgresql_row(session, one, {})
    finally:
        killer.dispose()
    with postgres_db.transaction() as session:
        assert postgresql_row(session, one, {}).one == 1


def test_rows_of_statements_sent_by_the_driver_in_turn_keep_each_statements_columns(postgres_db):
    # the row maker is made once per statement: statements taking turns on one cursor must
    # not lend each other theirs
    pair = sa.text("SELECT :n AS number, 'pair' AS kind")
    single = sa.text("SELECT :n * 10 AS tenfold")
    nothing = sa.text("SELECT 1 AS never WHERE false")
    with postgres_db.transaction() as session:
        for n in range(3):
            assert postgresql_row(session, pair, {"n": n})._asdict() == {"number": n, "kind": "pair"}
            assert postgresql_row(session, nothing, {}) is None
            assert postgresql_row(session, single, {"n": n})._asdict() == {"tenfold": n * 10}
