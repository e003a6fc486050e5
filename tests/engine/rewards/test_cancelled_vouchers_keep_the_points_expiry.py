"""A cancelled voucher's points come back with the expiry they had: redeeming and cancelling
never keeps points alive longer than they would have lived."""
import uuid
from datetime import timedelta

from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.rewards import CancelVoucher, RedeemReward, cancel_voucher, create_reward, redeem_reward

YEARS = timedelta(days=3 * 365)


def redeem_and_cancel(database, clock, member, code):
    issued = redeem_reward(database, RedeemReward(code, member.public_id), caller="web",
                           idempotency_key=str(uuid.uuid4()), now=clock())
    cancel_voucher(database, CancelVoucher(issued.voucher_code), caller="web", idempotency_key=str(uuid.uuid4()),
                   now=clock())


def test_the_points_of_a_cancelled_voucher_expire_when_they_would_have(database, clock, make_member):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())
    member = make_member(points=500)  # expire 24 months on, at a month's end (the default policy)
    before = get_balance(database, member.public_id, as_of=clock(), expiring_within=YEARS).expiring
    clock.advance(days=200)
    redeem_and_cancel(database, clock, member, "MUG")
    after = get_balance(database, member.public_id, as_of=clock(), expiring_within=YEARS)
    assert after.available == 500
    assert [(e.expires_at, e.points) for e in after.expiring] == [(e.expires_at, e.points) for e in before]
    assert check_ledger(database) == []


def test_points_taken_from_lots_of_different_expiries_each_keep_their_own(database, clock, make_member, earn):
    create_reward(database, code="LAMP", name="Lamp", points_price=450, valid_from=clock(), now=clock())
    member = make_member(points=200)
    clock.advance(days=100)
    earn(member, 30_000)  # 300 points expiring later (pending at first)
    clock.advance(days=60)
    before = get_balance(database, member.public_id, as_of=clock(), expiring_within=YEARS).expiring
    assert [e.points for e in before] == [200, 300]
    redeem_and_cancel(database, clock, member, "LAMP")
    after = get_balance(database, member.public_id, as_of=clock(), expiring_within=YEARS).expiring
    assert [(e.expires_at, e.points) for e in after] == [(e.expires_at, e.points) for e in before]
    assert check_ledger(database) == []
