"""A reward whose price, stock, limit or tier price is not a whole number within bounds is
refused with every field named, and nothing is added (a price beyond 64 bits, or a stock
beyond the 32-bit column, failed in the database before)."""
import pytest

from engine.errors import InvalidInput
from engine.rewards import change_reward, create_reward
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers
from tests.support.assertions import refused_unchanged


@pytest.mark.parametrize("fields, refused", [
    ({"points_price": 0}, ["points_price"]), ({"points_price": 10**19}, ["points_price"]),
    ({"points_price": True}, ["points_price"]), ({"stock": -1}, ["stock"]), ({"stock": 3 * 10**9}, ["stock"]),
    ({"per_member_limit": 0}, ["per_member_limit"]), ({"per_member_limit": 10**10}, ["per_member_limit"]),
    ({"points_price": 10**19, "stock": -1}, ["points_price", "stock"])])
def test_a_reward_out_of_bounds_is_refused_with_its_fields(database, clock, fields, refused):
    with refused_unchanged(database, InvalidInput) as refusal:
        create_reward(database, code="MUG", name="Mug", valid_from=clock(), now=clock(), **({"points_price": 500} | fields))
    assert [p.field for p in refusal.value.problems] == refused


def test_a_tier_price_out_of_bounds_is_refused(database, clock):
    with pytest.raises(InvalidInput) as refusal:
        create_reward(database, code="MUG", name="Mug", points_price=500, tier_prices={"GOLD": 10**19},
                      valid_from=clock(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["tier_prices.GOLD"]


def test_the_largest_allowed_figures_are_stored_on_every_database(database, clock):
    reward = create_reward(database, code="MUG", name="Mug", points_price=10**9, stock=10**9,
                           per_member_limit=10**9, valid_from=clock(), now=clock())
    assert (reward.points_price, reward.stock, reward.per_member_limit) == (10**9, 10**9, 10**9)


@pytest.fixture
def make_tiers(database, clock):
    return lambda: define_tiers(database, [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)],
                                TierPolicy(), now=clock())


def test_a_tier_price_above_the_rewards_price_is_refused_unless_the_reward_is_for_its_tiers_only(
        database, clock, make_tiers):
    make_tiers()
    with refused_unchanged(database, InvalidInput) as refusal:
        create_reward(database, code="MUG", name="Mug", points_price=500, tier_prices={"GOLD": 5000},
                      valid_from=clock(), now=clock())
    assert [p.field for p in refusal.value.problems] == ["tier_prices.GOLD"]
    assert "at most the reward's price, 500 points" in refusal.value.problems[0].message
    only_gold = create_reward(database, code="LOUNGE", name="Lounge", points_price=500, tier_prices={"GOLD": 5000},
                              tier_only=True, valid_from=clock(), now=clock())
    assert only_gold.tier_prices == {"GOLD": 5000}


def test_lowering_the_price_below_a_tier_price_is_refused_and_changes_nothing(database, clock, make_tiers):
    make_tiers()
    create_reward(database, code="MUG", name="Mug", points_price=500, tier_prices={"GOLD": 400},
                  valid_from=clock(), now=clock())
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", points_price=300, now=clock())
    assert [p.field for p in refusal.value.problems] == ["tier_prices.GOLD"]
