"""Members redeem rewards and manage their vouchers over HTTP; they never reach another
member's vouchers, and a retried redemption redeems once."""
import pytest

from engine.ledger.balances import get_balance
from engine.rewards import create_reward
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.conftest import new_key
from tests.support.assertions import unchanged


@pytest.fixture
def mug(database, clock):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 1000)],
                 TierPolicy(), now=clock())
    return create_reward(database, code="MUG", name="Coffee mug", points_price=500, stock=2, tier_prices={"gold": 400},
                         valid_from=clock(), now=clock())


def redeem(client, headers, code="MUG", key=None):
    return client.post(f"/v1/member/rewards/{code}/redeem", json={},
                       headers=headers | {"Idempotency-Key": key or new_key()})


def test_the_catalogue_shows_my_price_and_whether_i_can_afford_it(client, member_headers, make_member, mug,
                                                                   database, clock):
    ada = make_member(points=450)
    assign_tier(database, ada.public_id, "gold", reason="vip", actor="tests", now=clock())
    [reward] = client.get("/v1/member/rewards", headers=member_headers(ada)).json
    assert (reward["price_for_member"], reward["affordable"]) == (400, True)
    [for_basic] = client.get("/v1/member/rewards", headers=member_headers(make_member(points=450))).json
    assert (for_basic["price_for_member"], for_basic["affordable"]) == (500, False)


def test_the_catalogue_says_when_my_limit_is_used_up_and_a_cancelled_voucher_gives_a_redemption_back(
        client, member_headers, make_member, database, clock):
    create_reward(database, code="TOTE", name="Tote", points_price=100, per_member_limit=2, valid_from=clock(),
                  now=clock())
    headers = member_headers(make_member(points=1000))

    def listed():
        [tote] = client.get("/v1/member/rewards", headers=headers).json
        return tote["affordable"], tote["redemptions_left"], tote["redeemable"]

    assert listed() == (True, 2, True)
    redeem(client, headers, "TOTE")
    code = redeem(client, headers, "TOTE").json["voucher_code"]
    assert listed() == (True, 0, False)
    assert redeem(client, headers, "TOTE").json["error"] == "redemption_limit_reached"
    client.post(f"/v1/member/vouchers/{code}/cancel", json={}, headers=headers | {"Idempotency-Key": new_key()})
    assert listed() == (True, 1, True)


def test_redeeming_gives_a_voucher_once_per_key(client, member_headers, make_member, mug, database, clock):
    ada = make_member(points=1200)
    headers = member_headers(ada)
    key = new_key()
    first, again = redeem(client, headers, key=key), redeem(client, headers, key=key)
    assert first.status_code == 201 and first.json["voucher_code"].startswith("V")
    assert (again.status_code, again.json) == (201, first.json)
    assert get_balance(database, ada.public_id, as_of=clock()).available == 700
    mine = client.get("/v1/member/vouchers", headers=headers).json
    assert [(v["voucher_code"], v["status"]) for v in mine] == [(first.json["voucher_code"], "issued")]


def test_too_few_points_is_refused_and_changes_nothing(client, member_headers, make_member, mug, database):
    headers = member_headers(make_member(points=100))
    with unchanged(database):
        response = redeem(client, headers)
    assert (response.status_code, response.json["error"]) == (409, "insufficient_points")


def test_cancelling_my_voucher_gives_the_points_back(client, member_headers, make_member, mug, database, clock):
    ada = make_member(points=600)
    headers = member_headers(ada)
    code = redeem(client, headers).json["voucher_code"]
    cancelled = client.post(f"/v1/member/vouchers/{code}/cancel", json={},
                            headers=headers | {"Idempotency-Key": new_key()})
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled")
    assert get_balance(database, ada.public_id, as_of=clock()).balance == 600


def test_another_members_voucher_is_as_if_it_did_not_exist(client, member_headers, make_member, mug, database):
    ada, bob = make_member(points=600), make_member(points=600)
    code = redeem(client, member_headers(ada)).json["voucher_code"]
    bob_headers = member_headers(bob)
    with unchanged(database):
        response = client.post(f"/v1/member/vouchers/{code}/cancel", json={},
                               headers=bob_headers | {"Idempotency-Key": new_key()})
    unknown = client.post("/v1/member/vouchers/VNOSUCHCODE/cancel", json={},
                          headers=bob_headers | {"Idempotency-Key": new_key()})
    assert (response.status_code, response.json) == (404, unknown.json | {"message": response.json["message"]})
    assert response.json["error"] == "unknown_voucher"
    assert client.get("/v1/member/vouchers", headers=bob_headers).json == []


def test_redeeming_needs_an_idempotency_key(client, member_headers, make_member, mug, database):
    headers = member_headers(make_member(points=600))
    with unchanged(database):
        response = client.post("/v1/member/rewards/MUG/redeem", json={}, headers=headers)
    assert (response.status_code, response.json["error"]) == (400, "idempotency_key_missing")


def test_my_tier_says_what_the_next_one_needs(client, member_headers, make_member, mug, earn):
    ada = make_member()
    earn(ada, 30_000)
    progress = client.get("/v1/member/tier", headers=member_headers(ada)).json
    assert (progress["tier_code"], progress["next_tier"], progress["needed"]) == ("basic", "gold", 700)


def test_the_history_explains_each_purchase_rule_by_rule(client, member_headers, make_member, earn):
    ada = make_member()
    earn(ada, 2500)
    [purchase] = client.get("/v1/member/history", headers=member_headers(ada)).json
    assert purchase["rules"] == [{"rule_key": "base", "name": "Base rate", "points": 25}]


def test_staff_and_terminals_cannot_redeem_for_a_member(client, staff_headers, terminal, mug):
    assert client.post("/v1/member/rewards/MUG/redeem", json={},
                       headers=staff_headers("admin") | {"Idempotency-Key": new_key()}).status_code == 401
