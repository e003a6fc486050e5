"""A reward scheduled for later can be withdrawn before it starts: its window becomes empty,
at the withdrawal, so no list shows it and it can never be redeemed, not even once its
planned start comes; an end before its start that is not a withdrawal is still refused,
and so is an end before the start of a reward already in the catalogue."""
import uuid
from datetime import timedelta

import pytest

from engine.errors import InvalidInput
from engine.rewards import RedeemReward, RewardNotAvailable, change_reward, create_reward, get_reward, list_rewards, \
    redeem_reward
from tests.support.assertions import refused_unchanged


@pytest.fixture
def scheduled(database, clock):
    return create_reward(database, code="FUT", name="Future mug", points_price=300,
                         valid_from=clock() + timedelta(days=30), now=clock())


def test_a_reward_withdrawn_before_it_starts_is_never_in_the_catalogue(database, clock, scheduled):
    withdrawn = change_reward(database, "FUT", valid_until=clock(), now=clock())
    assert (withdrawn.valid_from, withdrawn.valid_until) == (clock(), clock())
    for days in (0, 30, 31, 400):
        assert list_rewards(database, as_of=clock() + timedelta(days=days)) == []


def test_a_reward_withdrawn_before_it_starts_cannot_be_redeemed_when_its_start_comes(database, clock, scheduled,
                                                                                     make_member):
    change_reward(database, "FUT", valid_until=clock(), now=clock())
    member = make_member(points=1000)
    clock.advance(days=31)
    with pytest.raises(RewardNotAvailable):
        redeem_reward(database, RedeemReward("FUT", member.public_id), caller="web",
                      idempotency_key=str(uuid.uuid4()), now=clock())


def test_an_end_in_the_future_before_a_scheduled_start_is_refused_naming_the_start(database, clock, scheduled):
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "FUT", valid_until=clock() + timedelta(days=10), now=clock())
    assert [str(p) for p in refusal.value.problems] == [
        f"valid_until: must be after the reward's start, {scheduled.valid_from.isoformat()}"]


def test_an_end_before_the_start_of_a_reward_in_the_catalogue_is_still_refused(database, clock):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock() - timedelta(hours=1),
                  now=clock())
    with refused_unchanged(database, InvalidInput):
        change_reward(database, "MUG", valid_until=clock() - timedelta(hours=2), now=clock())
    assert get_reward(database, "MUG").valid_until is None


def test_an_end_in_the_past_before_the_start_of_a_reward_starting_now_is_refused(database, clock):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())
    with refused_unchanged(database, InvalidInput):
        change_reward(database, "MUG", valid_until=clock() - timedelta(days=1), now=clock())
