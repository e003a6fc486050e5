"""The dashboard's stores, rewards bought and breakage: each store's earning sales in the
window by sale time, the rewards members bought (cancelled vouchers left out), and the
points expired per point issued."""
from datetime import timedelta
from decimal import Decimal

from engine import reports, stores
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.rewards import CancelVoucher, RedeemReward, cancel_voucher, create_reward, redeem_reward
from tests.conftest import new_key


def test_each_store_shows_its_earning_sales_takings_and_points_in_the_window(database, clock, make_member, earn):
    stores.create_store(database, code="S2", name="Second", timezone="Europe/Berlin", now=clock())
    stores.create_terminal(database, code="S2-T1", store_code="S2", now=clock())
    member = make_member()
    earn(member, 2000)
    earn(member, 1000)
    elsewhere = Basket("S2", "S2-T1", "S2-1", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 500),),
                       member_id=member.public_id)
    earn_points(database, elsewhere, caller="S2-T1", idempotency_key=new_key(), now=clock())
    earn(member, 9000, occurred_at=clock() - timedelta(days=31))  # before the window
    assert reports.store_activity(database, as_of=clock(), days=30) == [
        reports.StoreActivity("S1", 2, 3000, 30), reports.StoreActivity("S2", 1, 500, 5)]


def test_rewards_bought_in_the_window_are_counted_and_cancelled_ones_are_not(database, clock, make_member):
    member = make_member(points=5000)
    for code in ("MUG", "BAG"):
        create_reward(database, code=code, name=code.title(), points_price=100, valid_from=clock(), now=clock())
    bought = [redeem_reward(database, RedeemReward(code, member.public_id), caller="web", idempotency_key=new_key(),
                            now=clock()) for code in ("MUG", "MUG", "BAG")]
    cancel_voucher(database, CancelVoucher(bought[2].voucher_code), caller="web", idempotency_key=new_key(),
                   now=clock())
    assert reports.rewards_redeemed(database, as_of=clock(), days=30) == [reports.RewardRedeemed("MUG", 2, 200)]


def test_breakage_is_expired_per_issued_and_unknown_without_issuing(database, clock):
    board = reports.dashboard(database, as_of=clock())
    assert board.breakage is None
    flows = [reports.DailyFlow(clock().date(), 400, 0, 0), reports.DailyFlow(clock().date(), 0, 0, 100)]
    assert reports.Dashboard(**{**board.__dict__, "flows": flows}).breakage == 0.25
