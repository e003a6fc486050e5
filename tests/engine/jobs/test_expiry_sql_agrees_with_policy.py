import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from engine import members, stores
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger import expiry
from engine.ledger.expiry import LotState, expire_lots, expiring_points
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import LotRow
from engine.settings import update_settings


def lot_states(db):
    with db.transaction() as session:
        return [LotState(*row) for row in session.execute(
            sa.select(LotRow.id, LotRow.remaining, LotRow.reserved, LotRow.expires_at).order_by(LotRow.id))]


def expired_per_lot(db):
    with db.engine.connect() as connection:
        return dict(connection.execute(sa.text(
            "SELECT a.lot_id, SUM(a.amount) FROM lot_allocations a JOIN ledger_transactions t "
            "ON t.id = a.transaction_id WHERE t.kind = 'expire' GROUP BY a.lot_id")).all())


@pytest.mark.parametrize("days_later", [0, 10, 40, 80])
def test_the_set_based_expiry_takes_exactly_what_the_policy_says(database, clock, make_member, earn, days_later):
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none"}, now=clock())
    for n, member in enumerate([make_member() for _ in range(3)]):
        for age in (70, 45, 20, 5):
            earn(member, 1000 + 100 * n + age, occurred_at=clock() - timedelta(days=age))
    as_of = clock() + timedelta(days=days_later)
    expected = expiring_points(lot_states(database), as_of)
    run = expire_lots(database, as_of=as_of)
    assert expired_per_lot(database) == expected
    assert (run.lots, run.points) == (len(expected), sum(expected.values()))
    assert check_ledger(database) == []


def test_ranges_expired_side_by_side_give_what_one_range_gives(database, clock, make_member, earn, monkeypatch):
    monkeypatch.setattr(expiry, "CHUNK_MEMBERS", 2)  # seven members: four ranges, two at a time on PostgreSQL
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none"}, now=clock())
    for n, member in enumerate([make_member() for _ in range(7)]):
        for age in (70, 45, 5):
            earn(member, 1000 + 100 * n + age, occurred_at=clock() - timedelta(days=age))
    as_of = clock() + timedelta(days=10)
    expected = expiring_points(lot_states(database), as_of)
    ranges = []
    run = expire_lots(database, as_of=as_of, progress=lambda done, total: ranges.append((done, total)))
    assert ranges == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert expired_per_lot(database) == expected and run.members == 7
    assert check_ledger(database) == []


NOW = datetime(2026, 6, 1, tzinfo=UTC)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ages=st.lists(st.integers(0, 90), min_size=1, max_size=6), later=st.integers(0, 60))
def test_the_policy_and_the_sql_agree_on_any_earning_history(sqlite_db, ages, later):
    if not lot_states(sqlite_db):  # the first example sets the programme up; later ones add members
        update_settings(sqlite_db, {"expiry_months": 1, "expiry_rounding": "none"}, now=NOW)
        stores.create_store(sqlite_db, code="H1", name="Store", timezone="UTC", now=NOW)
        stores.create_terminal(sqlite_db, code="H1-T1", store_code="H1", now=NOW)
    member = members.enrol_member(sqlite_db, full_name="Prop", email=f"{uuid.uuid4().hex}@example.org", now=NOW)
    for n, age in enumerate(ages):
        earn_points(sqlite_db, Basket(
            store_code="H1", terminal_code="H1-T1", receipt_number=uuid.uuid4().hex,
            occurred_at=NOW - timedelta(days=age), currency="EUR",
            lines=(BasketLine(line_no=1, sku="X", quantity=Decimal(1), amount_minor=500 + n),),
            paid_with_points_minor=0, member_id=member.public_id, card_number=None),
            caller="H1-T1", idempotency_key=uuid.uuid4().hex, now=NOW)
    as_of = NOW + timedelta(days=later)
    before = expired_per_lot(sqlite_db)
    expected = expiring_points(lot_states(sqlite_db), as_of)
    expire_lots(sqlite_db, as_of=as_of)
    after = expired_per_lot(sqlite_db)
    assert {lot: points - before.get(lot, 0) for lot, points in after.items() if points != before.get(lot, 0)} \
        == expected
    assert check_ledger(sqlite_db) == []
