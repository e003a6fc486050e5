"""Tiers, rewards and vouchers over HTTP: a marketer defines the ladder and the catalogue;
support assigns tiers and cancels vouchers; other roles and callers are refused."""
from datetime import timedelta

import pytest

from engine.rewards import RedeemReward, redeem_reward
from tests.support.assertions import unchanged
from tests.conftest import new_key

LADDER = {"tiers": [{"code": "basic", "name": "Basic", "threshold": 0},
                    {"code": "silver", "name": "Silver", "threshold": 1000, "earn_multiplier": "1.25"},
                    {"code": "gold", "name": "Gold", "threshold": 5000, "earn_multiplier": "1.5"}],
          "policy": {"window": "rolling_months", "window_months": 12, "review": "anniversary", "grace_months": 1}}

COFFEE_MUG = {"code": "MUG", "name": "Coffee mug", "points_price": 500, "stock": 3, "per_member_limit": 1,
              "tier_prices": {"gold": 400}}


@pytest.fixture
def marketer(staff_headers):
    return staff_headers("marketer")


@pytest.fixture
def support(staff_headers):
    return staff_headers("support")


@pytest.fixture
def ladder(client, marketer):
    response = client.put("/v1/staff/tiers", json=LADDER, headers=marketer)
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def voucher(client, marketer, ladder, make_member, earn, database, clock):
    client.post("/v1/staff/rewards", json=COFFEE_MUG, headers=marketer)
    member = make_member()
    earn(member, 100_000)
    clock.advance(days=15)  # past the 14 days the points stay pending
    return redeem_reward(database, RedeemReward("MUG", member.public_id), caller="member", idempotency_key=new_key(),
                         now=clock())


def test_before_any_tiers_are_defined_the_ladder_is_empty(client, marketer):
    response = client.get("/v1/staff/tiers", headers=marketer)
    assert (response.status_code, response.json) == (200, {"tiers": [], "policy": None})


def test_a_defined_ladder_reads_back_as_it_was_given(client, marketer, ladder):
    assert [(t["code"], t["threshold"], t["earn_multiplier"]) for t in ladder["tiers"]] == \
        [("basic", 0, "1"), ("silver", 1000, "1.25"), ("gold", 5000, "1.5")]
    assert client.get("/v1/staff/tiers", headers=marketer).json == ladder


def test_a_ladder_without_a_policy_gets_the_calendar_year_policy(client, marketer):
    response = client.put("/v1/staff/tiers", json={"tiers": LADDER["tiers"]}, headers=marketer)
    assert response.json["policy"] == {"window": "calendar_year", "window_months": 12, "review": "calendar",
                                       "grace_months": 0, "measure": "points"}


def test_a_ladder_whose_thresholds_do_not_rise_is_refused_and_changes_nothing(client, marketer, ladder, database):
    falling = {"tiers": [LADDER["tiers"][0], LADDER["tiers"][1], {**LADDER["tiers"][2], "threshold": 1000}]}
    with unchanged(database):
        response = client.put("/v1/staff/tiers", json=falling, headers=marketer)
    assert (response.status_code, list(response.json["errors"])) == (422, ["tiers"])
    assert "rise" in response.json["errors"]["tiers"][0]


def test_support_assigns_a_tier_with_a_reason_kept_in_the_history(client, support, ladder, make_member):
    member = make_member()
    response = client.put(f"/v1/staff/members/{member.public_id}/tier",
                          json={"tier_code": "gold", "reason": "complaint goodwill"}, headers=support)
    assert (response.status_code, response.json["tier_code"]) == (200, "gold"), response.json
    standing = client.get(f"/v1/staff/members/{member.public_id}/tier", headers=support)
    assert standing.json["progress"]["tier_code"] == "gold"
    last = standing.json["history"][-1]
    assert (last["to"], last["reason"]) == ("gold", "manual") and last["note"].endswith("complaint goodwill")


def test_support_gives_a_tier_kept_until_a_day_and_a_day_in_the_past_is_refused(client, support, ladder,
                                                                                 make_member, database):
    member = make_member()
    kept = client.put(f"/v1/staff/members/{member.public_id}/tier",
                      json={"tier_code": "gold", "reason": "invited", "keep_until": "2027-06-30"}, headers=support)
    assert kept.status_code == 200, kept.json
    last = client.get(f"/v1/staff/members/{member.public_id}/tier", headers=support).json["history"][-1]
    assert last["note"].endswith("invited (kept until 2027-06-30)")
    with unchanged(database):
        past = client.put(f"/v1/staff/members/{member.public_id}/tier",
                          json={"tier_code": "silver", "reason": "x", "keep_until": "2020-01-01"}, headers=support)
    assert (past.status_code, list(past.json["errors"])) == (422, ["keep_until"])


def test_progress_says_how_many_points_the_next_tier_needs(client, support, ladder, make_member, earn):
    member = make_member()
    earn(member, 30_000)
    progress = client.get(f"/v1/staff/members/{member.public_id}/tier", headers=support).json["progress"]
    assert (progress["tier_code"], progress["next_tier"]) == ("basic", "silver")
    assert progress["needed"] == 1000 - progress["qualifying_points"] > 0


def test_assigning_an_unknown_tier_is_refused(client, support, ladder, make_member, database):
    member = make_member()
    with unchanged(database):
        response = client.put(f"/v1/staff/members/{member.public_id}/tier",
                              json={"tier_code": "diamond", "reason": "?"}, headers=support)
    assert response.status_code in (404, 422), response.json


def test_a_marketer_adds_a_reward_and_it_is_listed_with_its_tier_prices(client, marketer, ladder):
    created = client.post("/v1/staff/rewards", json=COFFEE_MUG, headers=marketer)
    assert created.status_code == 201, created.json
    listed = client.get("/v1/staff/rewards", headers=marketer).json
    assert [(r["code"], r["points_price"], r["stock"], r["tier_prices"]) for r in listed] == \
        [("MUG", 500, 3, {"gold": 400})]


def test_the_whole_catalogue_lists_scheduled_and_withdrawn_rewards_too(client, marketer, ladder, clock):
    client.post("/v1/staff/rewards", json=COFFEE_MUG, headers=marketer)
    client.post("/v1/staff/rewards", json={**COFFEE_MUG, "code": "CUP", "tier_prices": {},
                                           "valid_from": (clock() + timedelta(days=30)).isoformat()}, headers=marketer)
    now = [r["code"] for r in client.get("/v1/staff/rewards", headers=marketer).json]
    every = [r["code"] for r in client.get("/v1/staff/rewards", query_string={"all": "true"}, headers=marketer).json]
    assert (now, every) == (["MUG"], ["CUP", "MUG"])


def test_a_reward_with_a_zero_price_is_refused_and_not_added(client, marketer, database):
    with unchanged(database):
        response = client.post("/v1/staff/rewards", json={**COFFEE_MUG, "points_price": 0}, headers=marketer)
    assert response.status_code == 422 and "points_price" in response.json["errors"]


def test_a_marketer_restocks_and_reprices_a_reward_then_withdraws_it(client, marketer, ladder, clock):
    client.post("/v1/staff/rewards", json=COFFEE_MUG, headers=marketer)
    changed = client.patch("/v1/staff/rewards/MUG", json={"restock": 10, "points_price": 450,
                                                           "tier_prices": {"silver": 420, "gold": 380}},
                           headers=marketer)
    assert changed.status_code == 200, changed.json
    assert (changed.json["stock"], changed.json["points_price"], changed.json["tier_prices"]) == \
        (13, 450, {"silver": 420, "gold": 380})
    clock.advance(hours=1)
    withdrawn = client.patch("/v1/staff/rewards/MUG", json={"valid_until": clock().isoformat()}, headers=marketer)
    assert withdrawn.status_code == 200
    assert client.get("/v1/staff/rewards", headers=marketer).json == []
    assert client.get("/v1/staff/rewards/MUG", headers=marketer).json["valid_until"] == clock().isoformat()


def test_a_reward_change_is_refused_with_its_fields_and_changes_nothing(client, marketer, ladder, staff_headers,
                                                                       database):
    client.post("/v1/staff/rewards", json=COFFEE_MUG, headers=marketer)
    auditor = staff_headers("auditor")
    with unchanged(database):
        wrong = client.patch("/v1/staff/rewards/MUG", json={"restock": -4, "tier_prices": {"gold": "cheap"},
                                                             "stock": 100}, headers=marketer)
        too_few = client.patch("/v1/staff/rewards/MUG", json={"restock": -4}, headers=marketer)
        unknown = client.patch("/v1/staff/rewards/CUP", json={"restock": 1}, headers=marketer)
        refused = client.patch("/v1/staff/rewards/MUG", json={"restock": 1}, headers=auditor)
    assert (wrong.status_code, sorted(wrong.json["errors"])) == (422, ["stock", "tier_prices.gold.value"])
    assert (too_few.status_code, too_few.json["errors"]) == (422, {"restock": ["would leave -1 units; there are 3"]})
    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_reward")
    assert (refused.status_code, refused.json["error"]) == (403, "missing_permission")
    assert client.get("/v1/staff/rewards/CUP", headers=marketer).status_code == 404


def test_support_cancels_a_voucher_once_and_a_replay_answers_the_same(client, voucher, support):
    headers = support | {"Idempotency-Key": new_key()}
    first = client.post(f"/v1/staff/vouchers/{voucher.voucher_code}/cancel", json={}, headers=headers)
    replay = client.post(f"/v1/staff/vouchers/{voucher.voucher_code}/cancel", json={}, headers=headers)
    assert (first.status_code, first.json["status"]) == (200, "cancelled"), first.json
    assert (replay.status_code, replay.json) == (200, first.json)
    again = client.post(f"/v1/staff/vouchers/{voucher.voucher_code}/cancel", json={},
                        headers=support | {"Idempotency-Key": new_key()})
    assert again.status_code == 409
    assert client.get(f"/v1/staff/vouchers/{voucher.voucher_code}", headers=support).json["status"] == "cancelled"


def test_cancelling_without_an_idempotency_key_is_refused(client, voucher, support, database):
    with unchanged(database):
        response = client.post(f"/v1/staff/vouchers/{voucher.voucher_code}/cancel", json={}, headers=support)
    assert (response.status_code, response.json["error"]) == (400, "idempotency_key_missing")


def test_an_unknown_voucher_is_not_found(client, support):
    assert client.get("/v1/staff/vouchers/NOPE-0000", headers=support).status_code == 404


@pytest.mark.parametrize(("role", "method", "path", "body"), [
    ("support", "put", "/v1/staff/tiers", LADDER),
    ("auditor", "post", "/v1/staff/rewards", COFFEE_MUG),
    ("marketer", "put", "/v1/staff/members/{member}/tier", {"tier_code": "gold", "reason": "friend"}),
])
def test_roles_without_the_permission_are_refused_and_change_nothing(client, staff_headers, make_member, database,
                                                                     role, method, path, body):
    member = make_member()
    headers = staff_headers(role)
    with unchanged(database):
        response = getattr(client, method)(path.format(member=member.public_id), json=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (403, "missing_permission")


def test_members_and_terminals_cannot_reach_the_programme(client, member_headers, make_member, terminal):
    assert client.get("/v1/staff/tiers", headers=member_headers(make_member())).status_code == 401
    assert terminal.get("/v1/staff/rewards").status_code == 401


def test_a_reward_for_gold_members_only_is_listed_as_such(client, marketer, ladder):
    created = client.post("/v1/staff/rewards", json={**COFFEE_MUG, "tier_only": True}, headers=marketer)
    assert (created.status_code, created.json["tier_only"]) == (201, True), created.json
    opened = client.patch("/v1/staff/rewards/MUG", json={"tier_only": False}, headers=marketer)
    assert (opened.status_code, opened.json["tier_only"]) == (200, False), opened.json
