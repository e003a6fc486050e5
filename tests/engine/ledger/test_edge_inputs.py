"""Inputs at the edges: offsets, huge numbers, ambiguous members, odd refunds."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from engine.errors import InvalidInput
from engine.ledger.adjustments import adjust_points
from engine.ledger.basket import BasketLine
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.earning import earn_points
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


def test_a_sale_time_with_a_local_offset_keeps_the_ledger_checkable(database, clock, make_member, earn):
    berlin_time = clock().astimezone(timezone(timedelta(hours=1)))
    earn(make_member(), 1000, occurred_at=berlin_time)
    assert check_ledger(database) == []


def test_an_absurdly_large_amount_is_refused_not_crashed_on(database, clock, make_member, make_basket):
    basket = replace(make_basket(make_member(), 1000), lines=(BasketLine(1, "A", Decimal(1), 10**30),))
    with refused_unchanged(database, InvalidInput) as refusal:
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["lines.0.amount_minor"]


@pytest.mark.parametrize("occurred_at", [datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
                                         datetime(1899, 12, 31, 23, 59, tzinfo=timezone.utc),
                                         datetime(2026, 3, 2, 10, 0)])
def test_a_sale_time_without_a_zone_or_at_the_calendars_edge_is_refused(database, clock, make_member, make_basket,
                                                                         occurred_at):
    basket = replace(make_basket(make_member(), 1000), occurred_at=occurred_at)
    with refused_unchanged(database, InvalidInput) as refusal:
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["occurred_at"]


def test_a_line_number_beyond_what_a_receipt_line_can_hold_is_refused(database, clock, make_member, make_basket):
    basket = replace(make_basket(make_member(), 1000), lines=(BasketLine(2**31, "A", Decimal(1), 1000),))
    with refused_unchanged(database, InvalidInput) as refusal:
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["lines.0.line_no"]
    top = replace(basket, receipt_number="R-TOP", lines=(BasketLine(2**31 - 1, "A", Decimal(1), 1000),))
    assert earn_points(database, top, caller="S1-T1", idempotency_key=new_key(), now=clock()).points > 0


def test_a_hold_naming_both_a_member_and_a_card_is_refused(database, clock, make_member, make_card, till):
    member = make_member(points=100)
    card = make_card(member)
    command = PlaceHold(till.store_code, till.code, 10, member_id=member.public_id, card_number=card.number)
    with refused_unchanged(database, InvalidInput):
        place_hold(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())


@pytest.mark.parametrize("quantity, shift", [(Decimal("0.4004"), timedelta(0)), (Decimal(1), timedelta(hours=1))])
def test_a_refund_with_too_fine_a_quantity_or_from_the_future_is_refused(database, clock, make_member, earn, till,
                                                                          quantity, shift):
    earn(make_member(), 1000, receipt="R1")
    command = RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, quantity),), clock() + shift)
    with refused_unchanged(database, InvalidInput):
        refund_receipt(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())


def test_a_blank_reason_is_called_missing(database, clock, make_member):
    member = make_member()
    with refused_unchanged(database, InvalidInput) as refusal:
        adjust_points(database, AdjustPoints(member.public_id, 5, "   ", "alice"), caller="staff",
                      idempotency_key=new_key(), now=clock())
    assert str(refusal.value.problems[0]) == "reason: is required"


@pytest.mark.parametrize("receipt", ["R" * 65, "", " R-1"])
def test_a_hold_or_capture_naming_a_receipt_no_receipt_can_have_is_refused(database, clock, make_member, till,
                                                                          receipt):
    member = make_member(points=500)
    place = PlaceHold(till.store_code, till.code, 100, member_id=member.public_id, receipt_number=receipt)
    with refused_unchanged(database, InvalidInput) as refusal:
        place_hold(database, place, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["receipt_number"]
    held = place_hold(database, replace(place, receipt_number="R-1"), caller="S1-T1", idempotency_key=new_key(),
                      now=clock())
    with refused_unchanged(database, InvalidInput) as refusal:
        capture_hold(database, CaptureHold(held.hold_id, receipt_number=receipt, store_code=till.store_code),
                     caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["receipt_number"]
