"""The checks find what is wrong (a check that cannot fail proves nothing)."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.ledger.commands import CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.orm.ledger import AccountRow, LotRow
from tests.conftest import new_key


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


def without_immutability(database) -> None:
    """Drop the ledger's triggers, as someone editing the tables by hand could."""
    for table in ("ledger_entries", "ledger_transactions"):
        for verb in ("update", "delete"):
            run_sql(database, f"DROP TRIGGER {table}_no_{verb}" + ("" if database.is_sqlite else f" ON {table}"))


def test_a_transaction_whose_entries_do_not_sum_to_zero_is_found(database, make_member):
    make_member(points=100)
    without_immutability(database)
    run_sql(database, "UPDATE ledger_entries SET amount = amount + 1 WHERE amount > 0")
    problems = check_ledger(database)
    assert any(p.endswith("entries sum to 1 over 2 entries") for p in problems)
    assert "the ledger does not balance: all entries sum to 1, not 0" in problems


def test_a_transaction_without_entries_is_found(database, make_member):
    make_member(points=100)
    without_immutability(database)
    run_sql(database, "DELETE FROM ledger_entries")
    assert "1 transactions have no entries" in check_ledger(database)


def test_a_receipt_whose_lines_disagree_with_what_it_earned_is_found(database, make_member, earn):
    earn(make_member(), 1000, 500, receipt="R1")
    run_sql(database, "UPDATE receipt_lines SET points = points + 1 WHERE line_no = 1")
    assert any(p.startswith("receipt R1: earned 15, lines say 16, ledger says 15") for p in check_ledger(database))


def test_an_earning_that_belongs_to_no_receipt_is_found(database, make_member, earn):
    earn(make_member(), 1000, receipt="R1")
    run_sql(database, "UPDATE receipts SET transaction_id = NULL")
    problems = check_ledger(database)
    assert "1 earn transactions belong to no receipt" in problems
    assert "receipt R1: earned 10, lines say 10, no ledger transaction" in problems


@pytest.fixture
def captured_hold(database, clock, till, make_member):
    member = make_member(points=500)
    placed = place_hold(database, PlaceHold(till.store_code, till.code, 200, member_id=member.public_id),
                        caller="S1-T1", idempotency_key=new_key(), now=clock())
    capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert check_ledger(database) == []
    return placed.hold_id


def test_a_hold_marked_captured_without_its_transaction_is_found(database, captured_hold):
    run_sql(database, "UPDATE holds SET capture_transaction_id = NULL")
    problems = check_ledger(database)
    assert f"hold {captured_hold}: captured with capture transaction None posting None for 200 captured points" \
        in problems
    assert "1 capture transactions belong to no hold" in problems


def test_a_capture_that_does_not_post_what_the_hold_says_is_found(database, captured_hold):
    run_sql(database, "UPDATE holds SET captured_points = 150")
    assert any(p.startswith(f"hold {captured_hold}: captured with capture transaction") and "posting -200 for 150"
               in p for p in check_ledger(database))


def test_a_line_refunded_beyond_what_was_bought_is_found(database, clock, till, make_member, earn):
    earn(make_member(), 1000, receipt="R1")
    refund_receipt(database, RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert check_ledger(database) == []
    run_sql(database, "UPDATE refund_lines SET quantity = 3")
    assert any(p.endswith(": 3.000 of 1.000 returned, 10 of 10 points reversed") for p in check_ledger(database))
