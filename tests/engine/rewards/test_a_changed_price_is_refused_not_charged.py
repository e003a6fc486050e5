"""A redemption that names the price the member was shown is refused, with nothing spent,
when the reward costs anything else now (a marketer changed it since, or the member's tier
price applies no more); at the price shown, or naming none, it goes through."""
import uuid
from datetime import timedelta

import pytest

from engine.ledger.balances import get_balance
from engine.ledger.idempotency import request_fingerprint
from engine.rewards import PriceChanged, RedeemReward, change_reward, create_reward, redeem_reward
from tests.support.assertions import refused_unchanged


@pytest.fixture
def mug(database, clock):
    return create_reward(database, code="MUG", name="Mug", points_price=150, valid_from=clock() - timedelta(days=1),
                         now=clock())


def redeem(database, clock, member, **expected):
    return redeem_reward(database, RedeemReward("MUG", member.public_id, **expected), caller="web",
                         idempotency_key=str(uuid.uuid4()), now=clock())


def test_a_price_raised_since_the_member_saw_it_is_refused_and_nothing_is_spent(database, clock, make_member, mug):
    member = make_member(points=900)
    change_reward(database, "MUG", points_price=800, now=clock())
    with refused_unchanged(database, PriceChanged, "price_changed") as refusal:
        redeem(database, clock, member, expected_points=150)
    assert "now costs 800 points, not the 150 points expected" in refusal.value.message


def test_a_lowered_price_is_refused_too_so_the_member_sees_it_first(database, clock, make_member, mug):
    member = make_member(points=900)
    change_reward(database, "MUG", points_price=100, now=clock())
    with refused_unchanged(database, PriceChanged, "price_changed"):
        redeem(database, clock, member, expected_points=150)


def test_at_the_price_shown_or_naming_none_the_reward_is_redeemed(database, clock, make_member, mug):
    member = make_member(points=900)
    assert redeem(database, clock, member, expected_points=150).points == 150
    assert redeem(database, clock, member).points == 150
    assert get_balance(database, member.public_id, as_of=clock()).available == 600


def test_a_retry_from_before_the_expected_price_is_the_same_request():
    assert request_fingerprint("redeem_reward", RedeemReward("MUG", "M1")) == \
        request_fingerprint("redeem_reward", {"reward_code": "MUG", "member_id": "M1"})
