"""Changing a reward in the catalogue: a restock lets members redeem again, a new price is
paid from then on while issued vouchers keep theirs, an end withdraws the reward; refusals
name every problem and change nothing; a restock racing redemptions adds up."""
import uuid
from datetime import timedelta

import pytest

from engine.errors import InvalidInput, NotFound
from engine.ledger.invariants import check_ledger
from engine.rewards import (OutOfStock, RedeemReward, RewardNotAvailable, change_reward, create_reward, get_reward,
                            list_rewards, redeem_reward)
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.support.assertions import refused_unchanged
from tests.support.races import all_at_once


@pytest.fixture
def mug(database, clock):
    def make(**options):
        return create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock() - timedelta(days=1),
                             now=clock(), **options)
    return make


def redeem(database, clock, member):
    return redeem_reward(database, RedeemReward("MUG", member.public_id), caller="web",
                         idempotency_key=str(uuid.uuid4()), now=clock())


def test_a_restocked_reward_can_be_redeemed_again(database, clock, make_member, mug):
    mug(stock=1)
    member = make_member(points=1000)
    redeem(database, clock, member)
    with pytest.raises(OutOfStock):
        redeem(database, clock, member)
    assert change_reward(database, "MUG", restock=2, now=clock()).stock == 2
    redeem(database, clock, member)
    assert get_reward(database, "MUG").stock == 1


def test_units_written_off_never_take_the_stock_below_zero(database, clock, mug):
    mug(stock=3)
    assert change_reward(database, "MUG", restock=-3, now=clock()).stock == 0
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", restock=-1, now=clock())
    assert [str(p) for p in refusal.value.problems] == ["restock: would leave -1 units; there are 0"]


def test_a_new_price_is_paid_from_then_on_and_an_issued_voucher_keeps_its_own(database, clock, make_member, mug):
    mug()
    member = make_member(points=1000)
    before = redeem(database, clock, member)
    change_reward(database, "MUG", points_price=450, name=" Big mug ", now=clock())
    after = redeem(database, clock, member)
    assert (before.points, after.points) == (300, 450)
    assert get_reward(database, "MUG").name == "Big mug"
    assert check_ledger(database) == []


def test_tier_prices_given_replace_all_of_the_rewards_tier_prices(database, clock, make_member, mug):
    define_tiers(database, [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000),
                            TierDefinition("PLATINUM", "Platinum", 5000)], TierPolicy(), now=clock())
    mug(tier_prices={"GOLD": 200})
    assert change_reward(database, "MUG", tier_prices={"PLATINUM": 100}, now=clock()).tier_prices == {"PLATINUM": 100}
    gold = make_member(points=1000)
    assign_tier(database, gold.public_id, "GOLD", reason="test", actor="t", now=clock())
    assert redeem(database, clock, gold).points == 300
    assert change_reward(database, "MUG", tier_prices={}, now=clock()).tier_prices == {}


def test_an_end_now_withdraws_the_reward_from_the_catalogue(database, clock, make_member, mug):
    mug()
    change_reward(database, "MUG", valid_until=clock(), now=clock())
    assert list_rewards(database, as_of=clock()) == []
    with pytest.raises(RewardNotAvailable):
        redeem(database, clock, make_member(points=1000))
    assert get_reward(database, "MUG").valid_until == clock()


def test_every_problem_of_a_change_is_named_at_once_and_nothing_changes(database, clock, mug):
    mug()
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", name="", points_price=0, restock=5, per_member_limit=0,
                      valid_until=clock() - timedelta(days=2), tier_prices={"GOLD": 0}, now=clock())
    assert [p.field for p in refusal.value.problems] == ["name", "points_price", "per_member_limit",
                                                         "tier_prices.GOLD"]
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", restock=5, valid_until=clock() - timedelta(days=2), now=clock())
    assert [str(p) for p in refusal.value.problems] == [
        f"valid_until: must be after the reward's start, {(clock() - timedelta(days=1)).isoformat()}",
        "restock: the reward's stock is not counted (unlimited)"]
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", now=clock())
    assert [str(p) for p in refusal.value.problems] == ["reward: give what to change"]
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", tier_prices={"NOSUCH": 5}, restock=0, now=clock())
    assert [p.field for p in refusal.value.problems] == ["restock"]
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", tier_prices={"NOSUCH": 5}, now=clock())
    assert [str(p) for p in refusal.value.problems] == ["tier_prices.NOSUCH: is not a defined tier"]
    with pytest.raises(NotFound):
        change_reward(database, "CUP", restock=1, now=clock())


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_restock_racing_redemptions_adds_up(database, clock, make_member, mug):
    mug(stock=4)
    members = [make_member(points=1000) for _ in range(8)]
    racing = type(database)(database.url.render_as_string(hide_password=False), pool_size=12)

    def act(n):
        if n == 8:
            return change_reward(racing, "MUG", restock=4, now=clock())
        return redeem(racing, clock, members[n])

    results, raised = all_at_once(act, workers=9)
    racing.dispose()
    issued = [r for r in results if hasattr(r, "voucher_code")]
    assert all(isinstance(e, OutOfStock) for e in raised)
    assert get_reward(database, "MUG").stock == 8 - len(issued) >= 0
    assert check_ledger(database) == []
