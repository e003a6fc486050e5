from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import InvalidInput, InvalidState, NotFound, RefundExceedsPurchase, RefundWouldOverdraw
from engine.ledger.balances import get_balance
from engine.ledger.expiry import expire_lots
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.adjustments import adjust_points
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.member_closure import CloseMember, close_member
from engine.settings import update_settings
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture
def refund(database, clock, till):
    def run(receipt: str, *lines: tuple[int, int | str], key: str | None = None):
        command = RefundReceipt(till.store_code, till.code, receipt,
                                tuple(RefundLine(n, Decimal(q)) for n, q in lines), clock())
        return refund_receipt(database, command, caller="S1-T1", idempotency_key=key or new_key(), now=clock())
    return run


def test_a_refund_takes_back_exactly_what_the_returned_lines_earned(database, make_member, earn, refund):
    member = make_member()
    earned = earn(member, 1999, 3001, receipt="R1")
    assert [line.points for line in earned.lines] == [20, 30]
    refunded = refund("R1", (2, 1))
    assert (refunded.points_reversed, refunded.amount_minor, refunded.balance) == (30, 3001, 20)
    assert check_ledger(database) == []


def test_returning_a_line_in_parts_ends_at_exactly_what_it_earned(database, make_member, earn, refund):
    member = make_member()
    earned = earn(member, 1000, quantities=[3], receipt="R1")
    parts = [refund("R1", (1, 1)).points_reversed for _ in range(3)]
    assert sum(parts) == earned.points == 10 and parts == [3, 3, 4]
    assert check_ledger(database) == []


def test_a_refund_of_more_than_was_bought_is_refused(database, make_member, earn, refund):
    earn(make_member(), 1000, quantities=[2], receipt="R1")
    refund("R1", (1, 1))
    with refused_unchanged(database, RefundExceedsPurchase) as refusal:
        refund("R1", (1, 2))
    assert "2.000 bought, 1.000 already returned" in refusal.value.message.replace("2 bought", "2.000 bought")


def test_a_refund_of_an_unknown_receipt_or_line_is_refused(database, make_member, earn, refund):
    earn(make_member(), 1000, receipt="R1")
    with refused_unchanged(database, NotFound, "unknown_receipt"):
        refund("R404", (1, 1))
    with refused_unchanged(database, InvalidInput):
        refund("R1", (7, 1))
    with refused_unchanged(database, InvalidInput):
        refund("R1", (1, 1), (1, 1))


def test_points_spent_on_the_sale_are_given_back_in_proportion(database, clock, make_member, earn, refund, till):
    member = make_member(points=1000)
    hold = place_hold(database, PlaceHold(till.store_code, till.code, 400, member_id=member.public_id),
                      caller="S1-T1", idempotency_key=new_key(), now=clock())
    capture_hold(database, CaptureHold(hold.hold_id, receipt_number="R1"), caller="S1-T1",
                 idempotency_key=new_key(), now=clock())
    earn(member, 600, 400, receipt="R1", paid_with_points_minor=400)  # 10.00 basket, 4.00 paid with points
    refunded = refund("R1", (1, 1))  # 6.00 of 10.00 returned
    assert refunded.points_returned == 240
    assert refund("R1", (2, 1)).points_returned == 160
    balance = get_balance(database, member.public_id, as_of=clock())
    assert balance.balance == 1000 and balance.available == 1000
    assert check_ledger(database) == []


@pytest.fixture
def spent_earnings(database, clock, make_member, earn, till):
    """A member earned 50 points on R1 (pending), then spent all but 10 of their other points."""
    member = make_member(points=10)
    earn(member, 5000, receipt="R1")
    adjust_points(database, AdjustPoints(member.public_id, -40, "spent elsewhere", "tests"), caller="tests",
                  idempotency_key=new_key(), now=clock())
    return member


def test_allow_negative_records_a_debt_that_the_next_earnings_pay_first(database, clock, spent_earnings, earn, refund):
    refunded = refund("R1", (1, 1))
    assert (refunded.points_reversed, refunded.debt_created, refunded.balance) == (50, 30, -30)
    earn(spent_earnings, 4000)
    balance = get_balance(database, spent_earnings.public_id, as_of=clock() + timedelta(days=30))
    assert (balance.balance, balance.debt, balance.available) == (10, 0, 10)
    assert check_ledger(database) == []


def test_write_off_takes_what_is_there_and_writes_off_the_rest(database, clock, spent_earnings, refund):
    update_settings(database, {"negative_balance_policy": "write_off"}, now=clock())
    refunded = refund("R1", (1, 1))
    assert (refunded.points_reversed, refunded.points_written_off, refunded.balance) == (50, 30, 0)
    assert check_ledger(database) == []


def test_refuse_policy_refuses_a_refund_that_would_overdraw(database, clock, spent_earnings, refund):
    update_settings(database, {"negative_balance_policy": "refuse"}, now=clock())
    with refused_unchanged(database, RefundWouldOverdraw):
        refund("R1", (1, 1))


def test_a_refund_never_reverses_more_than_was_earned(database, make_member, earn, refund):
    earn(make_member(), 333, 333, 334, quantities=[1, 3, 1], receipt="R1")
    total = sum(refund("R1", (n, 1)).points_reversed for n in (1, 2, 2, 3, 2))
    assert total == 10
    with refused_unchanged(database, RefundExceedsPurchase):
        refund("R1", (2, "0.001"))


def test_a_refund_dated_before_its_sale_is_refused_and_changes_nothing(database, clock, make_member, earn, till):
    earn(make_member(), 1000, receipt="R1")
    command = RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, Decimal(1)),), clock() - timedelta(days=1))
    with refused_unchanged(database, InvalidInput) as refusal:
        refund_receipt(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())
    [problem] = refusal.value.problems
    assert problem.field == "occurred_at" and problem.message.startswith("must not be before the sale it returns")


@pytest.mark.parametrize("paid_with_points", [0, 500])
def test_a_closed_members_receipt_is_not_refunded_and_the_closed_account_stays_at_zero(
        database, clock, make_member, earn, refund, till, paid_with_points):
    member = make_member(points=2000)
    if paid_with_points:  # paid at the till before the sale earned, as a till does
        placed = place_hold(database, PlaceHold(till.store_code, till.code, paid_with_points,
                                                member_id=member.public_id, receipt_number="R1"),
                            caller="S1-T1", idempotency_key=new_key(), now=clock())
        capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
    earn(member, 1000, receipt="R1", paid_with_points_minor=paid_with_points)
    close_member(database, CloseMember(member.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, InvalidState) as refusal:
        refund("R1", (1, 1))
    assert refusal.value.code == "member_closed"
    assert get_balance(database, member.public_id, as_of=clock()).balance == 0
    assert check_ledger(database) == []


def test_closing_an_account_in_debt_forgives_the_debt_and_ends_at_zero(database, clock, spent_earnings, refund):
    assert refund("R1", (1, 1)).debt_created == 30
    close_member(database, CloseMember(spent_earnings.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    balance = get_balance(database, spent_earnings.public_id, as_of=clock())
    assert (balance.balance, balance.debt) == (0, 0)
    assert check_ledger(database) == []


def expire_the_sale_then_credit(database, clock, member, earned, points=50):
    """Let the sale's lot expire, then give the member ``points`` fresh ones."""
    clock.advance(days=(earned.expires_at - clock()).days + 1)
    expire_lots(database, as_of=clock())
    adjust_points(database, AdjustPoints(member.public_id, points, "goodwill", "tests"), caller="tests",
                  idempotency_key=new_key(), now=clock())


def test_a_refund_after_the_sales_points_expired_does_not_take_them_a_second_time(
        database, clock, make_member, earn, refund):
    member = make_member()
    earned = earn(member, 2000, receipt="R1")
    expire_the_sale_then_credit(database, clock, member, earned)
    refunded = refund("R1", (1, 1))
    assert (refunded.points_reversed, refunded.debt_created, refunded.balance) == (20, 0, 50)
    assert check_ledger(database) == []


def test_what_expired_is_taken_back_once_over_several_refunds_and_what_was_spent_is_taken_from_the_member(
        database, clock, make_member, earn, refund):
    member = make_member()
    earned = earn(member, 1000, 1000, 2000, receipt="R1")  # 10 + 10 + 20 points
    assert refund("R1", (1, 1)).balance == 30  # before expiry: from the sale's own lot
    adjust_points(database, AdjustPoints(member.public_id, -10, "spent elsewhere", "tests"), caller="tests",
                  idempotency_key=new_key(), now=clock())
    expire_the_sale_then_credit(database, clock, member, earned)  # 20 of the sale's points expire
    assert refund("R1", (2, 1)).balance == 50  # 10 of the expired part
    assert refund("R1", (3, 1)).balance == 40  # the other 10 expired, 10 were spent: those come from the member
    assert check_ledger(database) == []
