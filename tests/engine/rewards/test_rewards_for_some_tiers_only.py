"""A reward for some tiers only (a Gold-only reward): members of the tiers it has a price for
see and redeem it, at that price; everyone else neither sees nor redeems it."""
import uuid
from datetime import timedelta

import pytest

from engine.errors import InvalidInput
from engine.rewards import RedeemReward, RewardNotAvailable, change_reward, create_reward, list_rewards, redeem_reward
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.support.assertions import refused_unchanged


@pytest.fixture
def lounge(database, clock):
    """Tiers basic/gold, and a lounge pass for gold members only, at 200 points."""
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 5000)], TierPolicy(),
                 now=clock())
    return create_reward(database, code="LOUNGE", name="Lounge pass", points_price=900, tier_prices={"gold": 200},
                         tier_only=True, valid_from=clock() - timedelta(days=1), now=clock())


def redeem(database, clock, member):
    return redeem_reward(database, RedeemReward("LOUNGE", member.public_id), caller="web",
                         idempotency_key=str(uuid.uuid4()), now=clock())


def test_a_member_of_the_tier_sees_and_redeems_it_at_the_tiers_price(database, clock, make_member, lounge):
    gold = make_member(points=1000)
    assign_tier(database, gold.public_id, "gold", reason="vip", actor="ops", now=clock())
    assert [(r.code, r.price_for_member) for r in list_rewards(database, as_of=clock(), member_id=gold.public_id)] \
        == [("LOUNGE", 200)]
    assert redeem(database, clock, gold).points == 200


@pytest.mark.parametrize("tier", [None, "basic"])
def test_anyone_else_neither_sees_nor_redeems_it(database, clock, make_member, lounge, tier):
    member = make_member(points=1000)
    if tier:
        assign_tier(database, member.public_id, tier, reason="x", actor="ops", now=clock())
    assert list_rewards(database, as_of=clock(), member_id=member.public_id) == []
    assert [r.code for r in list_rewards(database, as_of=clock())] == ["LOUNGE"]  # the catalogue shows it
    with refused_unchanged(database, RewardNotAvailable) as refused:
        redeem(database, clock, member)
    assert "for members of gold only" in str(refused.value)


def test_a_reward_for_its_tiers_only_needs_tier_prices(database, clock, lounge):
    with pytest.raises(InvalidInput) as refused:
        create_reward(database, code="X", name="X", points_price=1, tier_only=True, valid_from=clock(), now=clock())
    assert [p.field for p in refused.value.problems] == ["tier_only"]
    with refused_unchanged(database, InvalidInput):
        change_reward(database, "LOUNGE", tier_prices={}, now=clock())  # would leave it for no one


def test_a_reward_opened_to_every_member_again_is_listed_for_all(database, clock, make_member, lounge):
    member = make_member(points=1000)
    change_reward(database, "LOUNGE", tier_only=False, now=clock())
    assert [(r.code, r.price_for_member) for r in list_rewards(database, as_of=clock(), member_id=member.public_id)] \
        == [("LOUNGE", 900)]
