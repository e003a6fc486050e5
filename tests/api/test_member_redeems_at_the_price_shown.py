"""A member's redemption may carry the price the app showed (``expected_points``): if the
reward costs anything else now, it is refused with 409 price_changed and nothing is spent."""
import pytest

from engine.ledger.balances import get_balance
from engine.rewards import change_reward, create_reward
from tests.conftest import new_key
from tests.support.assertions import unchanged


@pytest.fixture
def coffee(database, clock):
    return create_reward(database, code="COFFEE", name="Free coffee", points_price=150, valid_from=clock(),
                         now=clock())


def redeem(client, headers, body):
    return client.post("/v1/member/rewards/COFFEE/redeem", json=body, headers=headers | {"Idempotency-Key": new_key()})


def test_a_price_raised_since_it_was_shown_is_refused_and_nothing_is_spent(client, member_headers, make_member,
                                                                           coffee, database, clock):
    headers = member_headers(make_member(points=900))
    change_reward(database, "COFFEE", points_price=800, now=clock())
    with unchanged(database):
        response = redeem(client, headers, {"expected_points": 150})
    assert (response.status_code, response.json["error"]) == (409, "price_changed")


def test_at_the_price_shown_or_without_one_the_reward_is_redeemed(client, member_headers, make_member, coffee,
                                                                  database, clock):
    ada = make_member(points=900)
    assert redeem(client, member_headers(ada), {"expected_points": 150}).json["points"] == 150
    assert redeem(client, member_headers(ada), {}).json["points"] == 150
    assert get_balance(database, ada.public_id, as_of=clock()).available == 600


def test_the_expected_price_is_a_whole_number(client, member_headers, make_member, coffee, database):
    headers = member_headers(make_member(points=900))
    with unchanged(database):
        response = redeem(client, headers, {"expected_points": "150"})
    assert response.status_code == 422


def test_the_openapi_document_describes_the_expected_price(client):
    schema = client.get("/openapi.json").json["components"]["schemas"]["RedeemReward"]["properties"]
    assert "price_changed" in schema["expected_points"]["description"]
