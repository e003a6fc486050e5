from datetime import timedelta

import pytest

from engine.errors import (HoldAlreadyResolved, HoldExpired, InsufficientPoints, InvalidInput, NotFound,
                           ReceiptAlreadyEarned)
from engine.ledger.balances import get_balance
from engine.ledger.commands import CaptureHold, PlaceHold, VoidHold
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import capture_hold, place_hold, release_lapsed_holds, void_hold
from engine.ledger.invariants import check_ledger
from engine.settings import update_settings
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture
def hold(database, clock, till):
    def place(member, points: int, **kw):
        return place_hold(database, PlaceHold(till.store_code, till.code, points, member_id=member.public_id),
                          caller="S1-T1", idempotency_key=new_key(), now=kw.get("now", clock()))
    return place


def capture(database, clock, hold_id, points=None, **kw):
    return capture_hold(database, CaptureHold(hold_id, points, **kw), caller="S1-T1",
                        idempotency_key=new_key(), now=clock())


def void(database, clock, hold_id):
    return void_hold(database, VoidHold(hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())


def test_a_hold_reserves_points_until_it_is_captured(database, clock, make_member, hold):
    member = make_member(points=500)
    placed = hold(member, 200)
    assert (placed.points, placed.value_minor, placed.available) == (200, 200, 300)
    balance = get_balance(database, member.public_id, as_of=clock())
    assert (balance.balance, balance.reserved, balance.available) == (500, 200, 300)
    captured = capture(database, clock, placed.hold_id)
    assert (captured.points, captured.released, captured.balance) == (200, 0, 300)
    assert get_balance(database, member.public_id, as_of=clock()).reserved == 0
    assert check_ledger(database) == []


def test_a_partial_capture_releases_the_rest(database, clock, make_member, hold):
    member = make_member(points=500)
    placed = hold(member, 200)
    captured = capture(database, clock, placed.hold_id, 120)
    assert (captured.points, captured.released) == (120, 80)
    balance = get_balance(database, member.public_id, as_of=clock())
    assert (balance.balance, balance.available, balance.reserved) == (380, 380, 0)
    assert check_ledger(database) == []


def test_a_voided_hold_gives_all_its_points_back(database, clock, make_member, hold):
    member = make_member(points=500)
    voided = void(database, clock, hold(member, 200).hold_id)
    assert voided.released == 200
    assert get_balance(database, member.public_id, as_of=clock()).available == 500


def test_a_hold_cannot_take_more_than_is_available(database, clock, make_member, hold):
    member = make_member(points=100)
    hold(member, 60)
    with refused_unchanged(database, InsufficientPoints) as refusal:
        hold(member, 41)
    assert "40 points available" in refusal.value.message


def test_pending_points_cannot_be_held(database, clock, make_member, hold, earn):
    member = make_member()
    earn(member, 5000)
    with refused_unchanged(database, InsufficientPoints):
        hold(member, 1)


def test_a_hold_takes_the_earliest_expiring_points_first(database, clock, make_member, hold, earn):
    member = make_member()
    older = earn(member, 1000, occurred_at=clock() - timedelta(days=400))   # 10 points, expire first
    earn(member, 2000, occurred_at=clock() - timedelta(days=30))            # 20 points
    capture(database, clock, hold(member, 15).hold_id)
    # the older lot was spent entirely, so nothing is left to expire when it is due
    assert expire_lots(database, as_of=older.expires_at).points == 0
    assert get_balance(database, member.public_id, as_of=older.expires_at).balance == 15
    assert check_ledger(database) == []


def test_a_hold_resolves_once(database, clock, make_member, hold):
    member = make_member(points=500)
    placed = hold(member, 100)
    capture(database, clock, placed.hold_id)
    with refused_unchanged(database, HoldAlreadyResolved, "hold_already_resolved"):
        capture(database, clock, placed.hold_id)
    with refused_unchanged(database, HoldAlreadyResolved):
        void(database, clock, placed.hold_id)


def test_a_capture_after_the_deadline_is_refused(database, clock, make_member, hold):
    member = make_member(points=500)
    placed = hold(member, 100)
    clock.advance(minutes=16)
    with refused_unchanged(database, HoldExpired, "hold_expired"):
        capture(database, clock, placed.hold_id)


def test_lapsed_holds_are_released_once(database, clock, make_member, hold):
    member = make_member(points=500)
    placed = hold(member, 100)
    clock.advance(minutes=20)
    assert release_lapsed_holds(database, as_of=clock()) == 1
    assert release_lapsed_holds(database, as_of=clock()) == 0
    assert get_balance(database, member.public_id, as_of=clock()).available == 500
    with refused_unchanged(database, HoldAlreadyResolved):
        void(database, clock, placed.hold_id)
    assert check_ledger(database) == []


def test_capturing_more_than_was_held_is_refused(database, clock, make_member, hold):
    placed = hold(make_member(points=500), 100)
    with refused_unchanged(database, InvalidInput):
        capture(database, clock, placed.hold_id, 101)


def test_an_unknown_hold_is_refused(database, clock):
    with refused_unchanged(database, NotFound, "unknown_hold"):
        capture(database, clock, "HNOSUCHHOLD")


@pytest.mark.parametrize("points", [0, -5])
def test_a_hold_of_no_points_is_refused(database, make_member, hold, points):
    member = make_member(points=500)
    with refused_unchanged(database, InvalidInput):
        hold(member, points)


def test_expiry_never_takes_reserved_points(database, clock, make_member, hold, earn):
    member = make_member()
    earned = earn(member, 10000, occurred_at=clock() - timedelta(days=30))
    placed = hold(member, 60)
    run = expire_lots(database, as_of=earned.expires_at + timedelta(seconds=1))
    assert run.points == 40
    captured = capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(),
                            now=clock())
    assert captured.points == 60
    assert check_ledger(database) == []


def test_one_payment_keeps_to_the_programme_minimum_and_maximum(database, clock, make_member, hold):
    update_settings(database, {"pay_min_points": 100, "pay_max_points": 1000}, now=clock())
    member = make_member(points=5000)
    for points, message in ((50, "at least 100"), (1500, "at most 1000")):
        with refused_unchanged(database, InvalidInput) as refused:
            hold(member, points)
        assert [(p.field, message in p.message) for p in refused.value.problems] == [("points", True)]
    assert hold(member, 1000).points == 1000


def test_a_maximum_below_the_minimum_is_refused(database, clock):
    with pytest.raises(InvalidInput) as refused:
        update_settings(database, {"pay_min_points": 500, "pay_max_points": 100}, now=clock())
    assert [p.field for p in refused.value.problems] == ["pay_max_points"]


def test_a_hold_for_a_receipt_that_has_already_earned_is_refused_and_takes_nothing(database, clock, make_member,
                                                                                    earn, till):
    member = make_member(points=500)
    earn(member, 1000, receipt="R1")
    with refused_unchanged(database, ReceiptAlreadyEarned):
        place_hold(database, PlaceHold(till.store_code, till.code, 100, member_id=member.public_id,
                                       receipt_number="R1"),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert get_balance(database, member.public_id, as_of=clock()).available == 500


@pytest.mark.parametrize("named_when", ["placed", "captured"])
def test_a_capture_for_a_receipt_that_has_earned_is_refused_and_the_hold_stays_open(database, clock, make_member,
                                                                                    earn, till, named_when):
    member = make_member(points=500)
    placed = place_hold(database, PlaceHold(till.store_code, till.code, 100, member_id=member.public_id,
                                            receipt_number="R1" if named_when == "placed" else None),
                        caller="S1-T1", idempotency_key=new_key(), now=clock())
    earn(member, 1000, receipt="R1")
    with refused_unchanged(database, ReceiptAlreadyEarned) as refusal:
        capture(database, clock, placed.hold_id, receipt_number="R1" if named_when == "captured" else None)
    assert "void the hold" in refusal.value.message
    assert get_balance(database, member.public_id, as_of=clock()).reserved == 100
    assert void(database, clock, placed.hold_id).released == 100
