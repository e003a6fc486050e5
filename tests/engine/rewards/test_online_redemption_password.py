"""Online, a reward above ``online_redeem_password_above`` points takes the member's password;
the refusal without it does not spend the idempotency key, and staff redeeming for a member
(the command line) are not asked for the member's password."""
import uuid
from datetime import timedelta

import pytest

from engine.access.member_logins import set_member_password
from engine.access.passwords import Passwords
from engine.errors import InvalidInput, PasswordRequired
from engine.rewards import RedeemReward, create_reward, redeem_reward, redeem_reward_online
from engine.settings import update_settings
from tests.support.assertions import refused_unchanged

PASSWORDS = Passwords.cheap()
PASSWORD = "a long enough password"


@pytest.fixture
def member_with_a_password(database, clock, make_member):
    create_reward(database, code="TV", name="Television", points_price=5000, valid_from=clock() - timedelta(days=1),
                  now=clock())
    update_settings(database, {"online_redeem_password_above": 1000}, now=clock())
    member = make_member(points=6000)
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    return member


def online(database, clock, member, *, password=None, key=None):
    return redeem_reward_online(database, RedeemReward("TV", member.public_id), password=password, passwords=PASSWORDS,
                                caller=f"member:{member.public_id}", idempotency_key=key or str(uuid.uuid4()),
                                now=clock())


def test_without_the_password_it_is_refused_and_the_key_stays_unspent(database, clock, member_with_a_password):
    key = str(uuid.uuid4())
    with refused_unchanged(database, PasswordRequired) as refused:
        online(database, clock, member_with_a_password, key=key)
    assert refused.value.code == "password_required"
    assert online(database, clock, member_with_a_password, password=PASSWORD, key=key).points == 5000


def test_a_wrong_password_is_refused_naming_the_password(database, clock, member_with_a_password):
    with pytest.raises(InvalidInput) as refused:
        online(database, clock, member_with_a_password, password="wrong")
    assert [p.field for p in refused.value.problems] == ["password"]


def test_staff_redeeming_for_a_member_are_not_asked_for_the_members_password(database, clock,
                                                                             member_with_a_password):
    issued = redeem_reward(database, RedeemReward("TV", member_with_a_password.public_id), caller="cli:support",
                           idempotency_key=str(uuid.uuid4()), now=clock())
    assert issued.points == 5000


def test_the_setting_takes_empty_or_whole_points_from_zero(database, clock):
    with pytest.raises(InvalidInput) as refused:
        update_settings(database, {"online_redeem_password_above": -1}, now=clock())
    assert [p.field for p in refused.value.problems] == ["online_redeem_password_above"]
    assert update_settings(database, {"online_redeem_password_above": 0}, now=clock()).online_redeem_password_above == 0
