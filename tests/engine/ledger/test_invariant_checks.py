"""The checks find what is wrong (a check that cannot fail proves nothing)."""
import pytest
import sqlalchemy as sa

from engine.ledger.invariants import check_ledger
from engine.orm.ledger import AccountRow, LotRow


def run_sql(database, sql: str, **params) -> None:
    with database.transaction() as session:
        session.execute(sa.text(sql), params)


def test_a_sound_ledger_has_no_problems(database, make_member, earn):
    earn(make_member(points=100), 1000)
    assert check_ledger(database) == []


def test_a_cached_balance_that_drifted_is_found(database, make_member):
    member = make_member(points=100)
    run_sql(database, "UPDATE accounts SET balance = balance + 1 WHERE code = :code", code=f"member:{member.public_id}")
    problems = check_ledger(database)
    assert any("cached balance 101, entries sum to 100" in p for p in problems)


def test_a_lot_that_disagrees_with_the_balance_is_found(database, make_member):
    make_member(points=100)
    with database.transaction() as session:
        session.execute(sa.update(LotRow).values(remaining=LotRow.remaining - 1))
    assert any("lots hold 99 points" in p for p in check_ledger(database))


def test_a_reservation_without_a_hold_is_found(database, make_member):
    make_member(points=100)
    with database.transaction() as session:
        session.execute(sa.update(LotRow).values(reserved=5))
    assert any("reserved 5, but pending holds reserve 0" in p for p in check_ledger(database))


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET amount = amount + 1",
    "DELETE FROM ledger_entries",
    "UPDATE ledger_transactions SET points = 0",
    "DELETE FROM ledger_transactions",
])
def test_ledger_rows_cannot_be_changed_or_deleted(database, make_member, statement):
    make_member(points=100)
    with pytest.raises(sa.exc.DatabaseError, match="immutable"):
        run_sql(database, statement)
    assert check_ledger(database) == []


def test_an_entry_changed_behind_the_triggers_is_found(database, make_member):
    make_member(points=100)
    on_table = "" if database.is_sqlite else " ON ledger_entries"
    run_sql(database, f"DROP TRIGGER ledger_entries_no_update{on_table}")
    run_sql(database, "UPDATE ledger_entries SET amount = -amount")
    problems = check_ledger(database)
    assert any("checksum does not match" in p for p in problems)
    assert any("accepts update" in p for p in problems)
    assert any("cached balance" in p for p in problems)


def test_the_system_accounts_are_where_the_points_went(database, make_member, earn):
    make_member(points=100)
    with database.transaction() as session:
        rows = dict(session.execute(sa.select(AccountRow.kind, sa.func.count()).group_by(AccountRow.kind)).all())
    assert rows == {"member": 1, "issuance": 1, "redemption": 1, "expiry": 1, "adjustment": 1}
