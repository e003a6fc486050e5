"""Referrals over HTTP: a marketer records who referred whom; the referred member's first
terminal purchase pays both bonuses once."""
import pytest

from tests.support.assertions import unchanged


@pytest.fixture
def marketer(staff_headers):
    return staff_headers("marketer")


def test_a_recorded_referral_pays_both_members_with_the_first_purchase(client, marketer, make_member, terminal,
                                                                       make_our_card, card_session, clock):
    referrer, referred = make_member(), make_member()
    body = {"referrer_id": referrer.public_id, "referred_id": referred.public_id, "referrer_points": 300,
            "referred_points": 200}
    recorded = client.post("/v1/staff/referrals", json=body, headers=marketer)
    assert (recorded.status_code, recorded.json["rewarded_at"]) == (201, None), recorded.json
    card = make_our_card(referred)
    sale = {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "card_session": card_session(card)["card_session"],
            "lines": [{"line_no": 1, "sku": "LATTE", "quantity": "1", "amount_minor": 450}]}
    response = terminal.post("/v1/terminal/accruals", sale)
    assert response.status_code == 201, response.json
    assert {r["rule_key"]: r["applied"] for r in response.json["rules"]}["referral"] == 200
    referrer_history = client.get(f"/v1/staff/members/{referrer.public_id}/history", headers=marketer)
    assert [(h["kind"], h["points"]) for h in referrer_history.json] == [("adjust", 300)]


def test_a_member_cannot_be_referred_twice(client, marketer, make_member, database):
    a, b, c = make_member(), make_member(), make_member()
    body = {"referrer_id": a.public_id, "referred_id": c.public_id, "referrer_points": 1, "referred_points": 1}
    client.post("/v1/staff/referrals", json=body, headers=marketer)
    with unchanged(database):
        again = client.post("/v1/staff/referrals", json=body | {"referrer_id": b.public_id}, headers=marketer)
    assert (again.status_code, again.json["error"]) == (409, "already_referred")


def test_a_self_referral_is_refused_naming_the_field(client, marketer, make_member, database):
    member = make_member()
    with unchanged(database):
        response = client.post("/v1/staff/referrals", json={"referrer_id": member.public_id,
                                                            "referred_id": member.public_id,
                                                            "referrer_points": 1, "referred_points": 1},
                               headers=marketer)
    assert (response.status_code, list(response.json["errors"])) == (422, ["referred_id"])


def test_support_cannot_hand_out_referral_bonuses(client, staff_headers, make_member, database):
    headers = staff_headers("support")
    a, b = make_member(), make_member()
    with unchanged(database):
        response = client.post("/v1/staff/referrals", json={"referrer_id": a.public_id, "referred_id": b.public_id,
                                                            "referrer_points": 10_000, "referred_points": 1},
                               headers=headers)
    assert response.status_code == 403
