"""Referrals over HTTP: support records who referred whom (the programme's bonuses, not the
caller's), a friend joins with a member's code, and the first terminal purchase pays both."""
import pytest

from engine.settings import update_settings
from tests.support.assertions import unchanged


@pytest.fixture(autouse=True)
def referral_bonuses(database, clock):
    update_settings(database, {"referrer_points": 300, "referred_points": 200}, now=clock())


@pytest.fixture
def support(staff_headers):
    return staff_headers("support")


def test_a_recorded_referral_pays_both_members_with_the_first_purchase(client, support, make_member, terminal,
                                                                       make_our_card, card_session, clock):
    referrer, referred = make_member(), make_member()
    body = {"referrer_id": referrer.public_id, "referred_id": referred.public_id}
    recorded = client.post("/v1/staff/referrals", json=body, headers=support)
    assert (recorded.status_code, recorded.json["referrer_points"], recorded.json["rewarded_at"]) == (201, 300, None)
    card = make_our_card(referred)
    sale = {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "card_session": card_session(card)["card_session"],
            "lines": [{"line_no": 1, "sku": "LATTE", "quantity": "1", "amount_minor": 450}]}
    response = terminal.post("/v1/terminal/accruals", sale)
    assert response.status_code == 201, response.json
    assert {r["rule_key"]: r["applied"] for r in response.json["rules"]}["referral"] == 200
    referrer_history = client.get(f"/v1/staff/members/{referrer.public_id}/history", headers=support)
    assert [(h["kind"], h["points"]) for h in referrer_history.json] == [("adjust", 300)]


def test_a_member_cannot_be_referred_twice(client, support, make_member, database):
    a, b, c = make_member(), make_member(), make_member()
    body = {"referrer_id": a.public_id, "referred_id": c.public_id}
    client.post("/v1/staff/referrals", json=body, headers=support)
    with unchanged(database):
        again = client.post("/v1/staff/referrals", json=body | {"referrer_id": b.public_id}, headers=support)
    assert (again.status_code, again.json["error"]) == (409, "already_referred")


def test_a_self_referral_is_refused_naming_the_field(client, support, make_member, database):
    member = make_member()
    with unchanged(database):
        response = client.post("/v1/staff/referrals", json={"referrer_id": member.public_id,
                                                            "referred_id": member.public_id}, headers=support)
    assert (response.status_code, list(response.json["errors"])) == (422, ["referred_id"])


@pytest.mark.parametrize("field", ["referrer_points", "referred_points", "min_total_minor"])
def test_the_caller_cannot_choose_what_a_referral_pays(client, support, make_member, database, field):
    a, b = make_member(), make_member()
    with unchanged(database):
        response = client.post("/v1/staff/referrals", json={"referrer_id": a.public_id, "referred_id": b.public_id,
                                                            field: 100_000}, headers=support)
    assert (response.status_code, list(response.json["errors"])) == (422, [field])


@pytest.mark.parametrize("role", ["marketer", "auditor"])
def test_only_staff_who_change_members_record_referrals(client, staff_headers, make_member, database, role):
    a, b, headers = make_member(), make_member(), staff_headers(role)
    with unchanged(database):
        response = client.post("/v1/staff/referrals", json={"referrer_id": a.public_id, "referred_id": b.public_id},
                               headers=headers)
    assert response.status_code == 403


def test_a_member_reads_their_code_and_a_friend_joins_with_it(client, member_headers, make_member, database):
    ada = make_member()
    headers = member_headers(ada)
    card = client.get("/v1/member/referral", headers=headers)
    assert (card.status_code, card.json["referrer_points"], card.json["referred"]) == (200, 300, 0)
    assert client.get("/v1/member/referral", headers=headers).json["code"] == card.json["code"]
    joined = client.post("/v1/member/sign-ups", json={"full_name": "Grace Hopper", "email": "grace@example.org",
                                                      "referral_code": card.json["code"]})
    assert joined.status_code == 202
    assert client.get("/v1/member/referral", headers=headers).json["referred"] == 1


def test_a_sign_up_with_an_unknown_code_is_refused_naming_the_field_and_enrols_no_one(client, database):
    with unchanged(database):
        response = client.post("/v1/member/sign-ups", json={"full_name": "Grace Hopper",
                                                            "email": "grace@example.org",
                                                            "referral_code": "ZZZZ9999"})
    assert (response.status_code, list(response.json["errors"])) == (422, ["referral_code"])
