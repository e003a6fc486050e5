"""Referral bonuses: referrer and referred, once each, after the referred member's first
qualifying purchase."""
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import Conflict, InvalidState
from engine.ledger.balances import get_balance, get_history
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.rules.referrals import record_referral
from engine.settings import update_settings
from tests.conftest import new_key


@pytest.fixture(autouse=True)
def referral_bonuses(database, clock):
    """The programme pays 300 points to the referrer and 200 to the friend, from 10.00."""
    update_settings(database, {"referrer_points": 300, "referred_points": 200, "referral_min_total_minor": 1000},
                    now=clock())


def buy(database, clock, till, member, amount, receipt=None):
    basket = Basket(till.store_code, till.code, receipt or new_key()[:20], clock(), "EUR",
                    (BasketLine(1, "A", Decimal(1), amount),), member_id=member.public_id)
    return earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())


def test_both_members_get_their_bonus_once_after_the_first_qualifying_purchase(database, clock, till, make_member):
    referrer, referred = make_member(), make_member()
    record_referral(database, referrer_id=referrer.public_id, referred_id=referred.public_id, now=clock())
    first = buy(database, clock, till, referred, 1500, receipt="R-1")
    assert first.points == 215 and [a.rule_key for a in first.rules] == ["base", "referral"]
    assert buy(database, clock, till, referred, 1500).points == 15
    history = get_history(database, referrer.public_id)
    assert [(h.kind, h.points) for h in history] == [("adjust", 300)]
    assert get_balance(database, referrer.public_id, as_of=clock() + timedelta(days=15)).available == 300
    refund = refund_receipt(database, RefundReceipt(till.store_code, till.code, "R-1", (RefundLine(1, Decimal(1)),),
                                                    clock()), caller="t", idempotency_key=new_key(), now=clock())
    assert refund.points_reversed == 215  # the referred bonus came with the line and goes with it
    assert check_ledger(database) == []


def test_a_first_purchase_below_the_minimum_does_not_qualify_and_later_ones_never_do(database, clock, till,
                                                                                       make_member):
    referrer, referred = make_member(), make_member()
    record_referral(database, referrer_id=referrer.public_id, referred_id=referred.public_id, now=clock())
    assert buy(database, clock, till, referred, 500).points == 5
    assert buy(database, clock, till, referred, 5000).points == 50
    assert get_history(database, referrer.public_id) == []


def test_referrals_are_refused_twice_after_a_purchase_and_in_a_cycle(database, clock, till, make_member):
    a, b, c = make_member(), make_member(), make_member()
    record_referral(database, referrer_id=a.public_id, referred_id=b.public_id, now=clock())
    with pytest.raises(Conflict):
        record_referral(database, referrer_id=c.public_id, referred_id=b.public_id, now=clock())
    record_referral(database, referrer_id=b.public_id, referred_id=c.public_id, now=clock())
    with pytest.raises(InvalidState, match="referral chain"):
        record_referral(database, referrer_id=c.public_id, referred_id=a.public_id, now=clock())
    buyer = make_member()
    buy(database, clock, till, buyer, 100)
    with pytest.raises(InvalidState, match="already made a purchase"):
        record_referral(database, referrer_id=a.public_id, referred_id=buyer.public_id, now=clock())
