"""Qualifying points are what purchases earned, less what refunds reversed of it: the points
a refund gives back (they had paid for the purchase) were never earned, so returning goods
paid partly with points does not move a member up the ladder."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.ledger.adjustments import adjust_points
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.refunds import refund_receipt
from engine.settings import update_settings
from engine.tiers.service import assign_tier, member_tier, review_tiers, tier_progress
from tests.conftest import new_key


@pytest.fixture
def refund(database, clock, till):
    def run(receipt: str, *lines: tuple[int, int]):
        command = RefundReceipt(till.store_code, till.code, receipt,
                                tuple(RefundLine(n, Decimal(q)) for n, q in lines), clock())
        return refund_receipt(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())
    return run


@pytest.fixture
def paid_partly_with_points(database, clock, make_member, earn, till):
    """A member funded with 900 points (not qualifying) who paid 5.00 of a 10.00 basket with
    500 of them on R1: the sale earned points on the 5.00 paid in money."""
    def buy():
        member = make_member(points=900)
        hold = place_hold(database, PlaceHold(till.store_code, till.code, 500, member_id=member.public_id),
                          caller="S1-T1", idempotency_key=new_key(), now=clock())
        capture_hold(database, CaptureHold(hold.hold_id, receipt_number="R1"), caller="S1-T1",
                     idempotency_key=new_key(), now=clock())
        earned = earn(member, 1000, receipt="R1", paid_with_points_minor=500)
        return member, earned
    return buy


def test_returning_a_purchase_paid_partly_with_points_takes_its_earned_points_off_and_adds_none(
        database, clock, tiers, paid_partly_with_points, refund):
    tiers()
    member, earned = paid_partly_with_points()
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == earned.points > 0
    refunded = refund("R1", (1, 1))
    assert (refunded.points_returned, refunded.points_reversed) == (500, earned.points)
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 0


def test_a_sale_after_such_a_return_does_not_upgrade_the_member(database, clock, tiers, paid_partly_with_points,
                                                              refund, earn):
    tiers()  # Silver from 500 qualifying points
    member, _ = paid_partly_with_points()
    refund("R1", (1, 1))
    earn(member, 100)  # earns 1 point: 501 if the 500 given back had counted
    assert member_tier(database, member.public_id).tier_code == "BASIC"
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 1


def test_a_return_counts_what_it_reversed_even_when_the_member_had_spent_those_points(
        database, clock, tiers, make_member, earn, refund):
    tiers()
    update_settings(database, {"negative_balance_policy": "write_off"}, now=clock())
    member = make_member(points=10)
    earned = earn(member, 60_000, receipt="R1")  # 600 points
    earn(member, 10_000)  # 100 more
    adjust_points(database, AdjustPoints(member.public_id, -600, "spent elsewhere", "tests"), caller="tests",
                  idempotency_key=new_key(), now=clock())
    refunded = refund("R1", (1, 1))
    assert refunded.points_reversed == earned.points and refunded.points_written_off > 0
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 100


def test_the_review_counts_qualifying_points_the_same_way(database, clock, tiers, paid_partly_with_points,
                                                        refund):
    tiers()  # Silver kept at the calendar review with 500 qualifying points in the year
    member, _ = paid_partly_with_points()
    assign_tier(database, member.public_id, "SILVER", reason="status match", actor="ops", now=clock())
    refund("R1", (1, 1))
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))
    assert member_tier(database, member.public_id).tier_code == "BASIC"
