"""A reward above the programme's ``online_redeem_password_above`` takes the member's password
as well as their session, so that a stolen session cannot turn a balance into vouchers."""
import pytest

from engine.ledger.balances import get_balance
from engine.rewards import create_reward, list_vouchers
from engine.settings import update_settings
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.api.conftest import PASSWORD
from tests.conftest import new_key
from tests.support.assertions import unchanged


@pytest.fixture
def rewards(database, clock):
    """A mug (500 points, 400 for gold) and a voucher of 100 points; above 450 points online
    takes the password."""
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 1000)],
                 TierPolicy(), now=clock())
    create_reward(database, code="MUG", name="Coffee mug", points_price=500, tier_prices={"gold": 400},
                  valid_from=clock(), now=clock())
    create_reward(database, code="SMALL", name="Small treat", points_price=100, valid_from=clock(), now=clock())
    update_settings(database, {"online_redeem_password_above": 450}, now=clock())


def redeem(client, headers, code="MUG", key=None, **body):
    return client.post(f"/v1/member/rewards/{code}/redeem", json=body,
                       headers=headers | {"Idempotency-Key": key or new_key()})


def test_the_catalogue_says_which_rewards_take_the_password(client, member_headers, make_member, rewards):
    listed = client.get("/v1/member/rewards", headers=member_headers(make_member(points=1000))).json
    assert {r["code"]: r["password_needed"] for r in listed} == {"MUG": True, "SMALL": False}


def test_a_session_alone_is_refused_and_the_same_key_redeems_once_the_password_comes(
        client, member_headers, make_member, rewards, database, clock):
    ada = make_member(points=1000)
    headers, key = member_headers(ada), new_key()
    with unchanged(database):
        refused = redeem(client, headers, key=key)
    assert (refused.status_code, refused.json["error"]) == (403, "password_required")
    assert "500 points" in refused.json["message"]
    redeemed = redeem(client, headers, key=key, password=PASSWORD)
    assert redeemed.status_code == 201, redeemed.json
    assert (redeem(client, headers, key=key, password=PASSWORD).json) == redeemed.json  # replayed, not again
    assert get_balance(database, ada.public_id, as_of=clock()).available == 500


def test_a_wrong_password_is_refused_spends_nothing_and_counts_toward_the_sign_in_lockout(
        client, member_headers, make_member, rewards, database, clock):
    ada = make_member(points=1000)
    headers = member_headers(ada)
    for _ in range(4):
        wrong = redeem(client, headers, password="not my password")
        assert (wrong.status_code, wrong.json["errors"]) == (422, {"password": ["wrong password"]})
    for password in ("not my password", PASSWORD):  # the fifth wrong one locks: then the right one is refused
        locked = redeem(client, headers, password=password)
        assert locked.status_code == 422 and "too many wrong attempts" in locked.json["message"]
    sign_in = client.post("/v1/member/sessions", json={"email": ada.email, "password": PASSWORD})
    assert sign_in.status_code == 401
    assert get_balance(database, ada.public_id, as_of=clock()).available == 1000
    assert list_vouchers(database, ada.public_id) == []


def test_a_reward_at_or_below_the_price_needs_no_password(client, member_headers, make_member, rewards, database,
                                                        clock):
    gold = make_member(points=1000)
    assign_tier(database, gold.public_id, "gold", reason="vip", actor="tests", now=clock())
    headers = member_headers(gold)
    assert redeem(client, headers, code="SMALL").status_code == 201
    assert redeem(client, headers, code="MUG").status_code == 201  # gold pays 400: the member's price counts
    update_settings(database, {"online_redeem_password_above": 400}, now=clock())
    assert redeem(client, headers, code="MUG").status_code == 201  # at the limit, not above it


def test_without_the_setting_a_session_redeems_any_reward(client, member_headers, make_member, rewards, database,
                                                         clock):
    update_settings(database, {"online_redeem_password_above": None}, now=clock())
    assert redeem(client, member_headers(make_member(points=1000))).status_code == 201

