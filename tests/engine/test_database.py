from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from engine import stores
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
