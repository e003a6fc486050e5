"""Finance's count of reward vouchers neither used nor cancelled: those still usable (rewards
owed) and those whose end passed unused, each with the points paid for them."""
import uuid
from datetime import timedelta

from engine.reports import VouchersOutstanding, vouchers_outstanding
from engine.rewards import (CancelVoucher, RedeemReward, UseVoucher, cancel_voucher, create_reward, redeem_reward,
                            use_voucher)


def redeem(database, clock, member, code):
    return redeem_reward(database, RedeemReward(code, member.public_id), caller="web",
                         idempotency_key=str(uuid.uuid4()), now=clock())


def test_usable_and_expired_unused_vouchers_are_counted_apart_and_used_or_cancelled_ones_not_at_all(
        database, clock, make_member):
    create_reward(database, code="MUG", name="Mug", points_price=100, valid_from=clock(), voucher_valid_days=10,
                  now=clock())
    create_reward(database, code="BAG", name="Bag", points_price=250, valid_from=clock(), now=clock())
    member = make_member(points=5000)
    assert vouchers_outstanding(database, as_of=clock()) == VouchersOutstanding(0, 0, 0, 0)
    mugs = [redeem(database, clock, member, "MUG") for _ in range(3)]
    redeem(database, clock, member, "BAG")
    use_voucher(database, UseVoucher(mugs[0].voucher_code), caller="S1-T1", idempotency_key="u", now=clock())
    cancel_voucher(database, CancelVoucher(mugs[1].voucher_code), caller="web", idempotency_key="c", now=clock())
    assert vouchers_outstanding(database, as_of=clock()) == VouchersOutstanding(2, 350, 0, 0)
    clock.advance(days=12)
    assert vouchers_outstanding(database, as_of=clock()) == VouchersOutstanding(1, 250, 1, 100)
    assert vouchers_outstanding(database, as_of=clock() - timedelta(days=30)) == VouchersOutstanding(0, 0, 0, 0)
