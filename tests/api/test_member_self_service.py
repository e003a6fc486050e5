from engine import cards, members
from engine.access.member_logins import send_password_link
from engine.rewards import RedeemReward, create_reward, redeem_reward
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from engine.access.member_logins import check_member_pin
from engine.members import member_row
from tests.api.conftest import PASSWORD, PASSWORDS
from tests.support.api_clients import bearer
from tests.support.assertions import unchanged


def test_a_member_reads_their_profile(client, member_headers, make_member):
    member = make_member("Anna Kowalska", email="anna@example.org")
    response = client.get("/v1/member/profile", headers=member_headers(member))
    assert response.status_code == 200
    assert response.json | {"enrolled_at": None} == {
        "member_id": member.public_id, "status": "active", "enrolled_at": None, "full_name": "Anna Kowalska",
        "email": "anna@example.org", "phone": None, "birthday": None, "consents": member.consents}


def test_a_member_changes_name_phone_and_one_consent_keeping_the_others(client, member_headers, make_member):
    member = make_member()
    response = client.patch("/v1/member/profile", headers=member_headers(member),
                            json={"full_name": "Anna Nowak", "phone": "+48 600 100 200",
                                  "consents": {"marketing_email": True}})
    assert response.status_code == 200
    assert (response.json["full_name"], response.json["phone"]) == ("Anna Nowak", "+48 600 100 200")
    assert response.json["consents"] == member.consents | {"marketing_email": True}
    assert client.get("/v1/member/profile", headers=member_headers(member)).json == response.json


def test_a_profile_change_with_an_invalid_value_changes_nothing(client, database, member_headers, make_member):
    member = make_member()
    response = client.patch("/v1/member/profile", headers=member_headers(member),
                            json={"full_name": "Anna Nowak", "birthday": "2999-01-01"})
    assert response.status_code == 422
    assert members.get_member(database, member.public_id) == member


def test_the_balance_shows_only_the_signed_in_members_points(client, member_headers, make_member):
    anna = make_member(points=120)
    make_member(points=900)  # another member's points must not show
    response = client.get("/v1/member/balance", headers=member_headers(anna))
    assert response.status_code == 200
    assert (response.json["member_id"], response.json["available"]) == (anna.public_id, 120)


def test_the_history_lists_only_the_members_own_transactions(client, member_headers, make_member):
    anna = make_member(points=120)
    make_member(points=900)
    response = client.get("/v1/member/history?limit=10", headers=member_headers(anna))
    assert response.status_code == 200
    assert [item["points"] for item in response.json] == [120]


def test_a_member_lists_and_blocks_their_own_card(client, database, member_headers, make_member, make_our_card):
    member = make_member()
    card = make_our_card(member)
    headers = member_headers(member)
    assert [c["number"] for c in client.get("/v1/member/cards", headers=headers).json] == [card.number]
    response = client.post(f"/v1/member/cards/{card.number}/block", headers=headers, json={"reason": "lost"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["block_reason"]) == ("blocked", "lost")
    assert cards.get_card(database, card.number).status == "blocked"


def test_changing_the_password_needs_the_current_one(client, member_headers, make_member):
    member = make_member()
    headers = member_headers(member)
    wrong = client.post("/v1/member/password", headers=headers,
                        json={"current_password": "not my password", "new_password": "a brand new passphrase"})
    # a refusal of the field, not of the session: a client must not sign the member out
    assert (wrong.status_code, wrong.json["errors"]) == (422, {"current_password": ["the current password is wrong"]})
    right = client.post("/v1/member/password", headers=headers,
                        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert right.status_code == 204
    old = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD})
    new = client.post("/v1/member/sessions", json={"email": member.email, "password": "a brand new passphrase"})
    assert (old.status_code, new.status_code) == (401, 201)


def test_a_new_password_signs_out_every_other_session_but_keeps_this_one(client, member_headers, make_member):
    member = make_member()
    elsewhere = member_headers(member)
    here = bearer(client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD})
                  .json["token"])
    changed = client.post("/v1/member/password", headers=here,
                          json={"current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert changed.status_code == 204
    assert client.get("/v1/member/profile", headers=here).status_code == 200
    assert client.get("/v1/member/profile", headers=elsewhere).json["error"] == "invalid_token"


def test_a_new_password_that_is_too_short_is_refused(client, member_headers, make_member):
    response = client.post("/v1/member/password", headers=member_headers(make_member()),
                           json={"current_password": PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert "password" in response.json["errors"]


def test_a_member_sets_a_pin_which_is_stored_hashed(client, database, clock, member_headers, make_member):
    member = make_member()
    headers = member_headers(member)
    assert client.post("/v1/member/pin", headers=headers, json={"pin": "12a4", "password": PASSWORD}).status_code \
        == 422
    assert client.post("/v1/member/pin", headers=headers, json={"pin": "4711", "password": PASSWORD}).status_code \
        == 204
    with database.transaction() as session:
        row = member_row(session, member.public_id)
        assert check_member_pin(session, row.id, "4711", passwords=PASSWORDS, now=clock()) is None
        assert check_member_pin(session, row.id, "1234", passwords=PASSWORDS, now=clock()) is not None


def test_the_export_holds_the_members_data_and_nobody_elses(client, member_headers, make_member, make_our_card):
    anna, ben = make_member("Anna", points=120), make_member("Ben", points=900)
    card = make_our_card(anna)
    make_our_card(ben)
    response = client.get("/v1/member/export", headers=member_headers(anna))
    assert response.status_code == 200
    export = response.json
    assert export["member"]["member_id"] == anna.public_id
    assert [c["number"] for c in export["cards"]] == [card.number]
    assert export["balance"]["available"] == 120
    assert [item["points"] for item in export["history"]] == [120]
    assert (export["vouchers"], export["tier_changes"]) == ([], [])
    assert [m["kind"] for m in export["messages"]] == ["card_usable"]  # the card was activated
    assert ben.public_id not in response.get_data(as_text=True)
    assert ben.email not in response.get_data(as_text=True)


def test_the_export_holds_the_members_vouchers_tier_changes_and_the_messages_written_to_them(
        client, member_headers, make_member, database, clock):
    anna = make_member("Anna", points=1000)
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), voucher_valid_days=30,
                  now=clock())
    voucher = redeem_reward(database, RedeemReward("MUG", anna.public_id), caller="web", idempotency_key="r",
                            now=clock())
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 5000)],
                 TierPolicy(), now=clock())
    assign_tier(database, anna.public_id, "gold", reason="vip", actor="staff:sam", now=clock())
    send_password_link(database, anna.email, now=clock())
    export = client.get("/v1/member/export", headers=member_headers(anna)).json
    assert [(v["voucher_code"], v["status"]) for v in export["vouchers"]] == [(voucher.voucher_code, "issued")]
    assert export["vouchers"][0]["expires_at"] is not None
    assert export["tier_changes"][-1] | {"at": None} == {"at": None, "from": None, "to": "gold", "reason": "manual"}
    assert [(m["kind"], m["delivered_at"]) for m in export["messages"]] == [("tier_changed", None),
                                                                         ("password_link", None)]
    assert all("payload" not in m for m in export["messages"])  # the link's secret is not in the export


def test_a_session_alone_sets_no_pin_the_password_must_confirm_it(client, database, clock, member_headers,
                                                                   make_member):
    member = make_member()
    headers = member_headers(member)
    with unchanged(database):
        missing = client.post("/v1/member/pin", headers=headers, json={"pin": "4711"})
    wrong = client.post("/v1/member/pin", headers=headers, json={"pin": "4711", "password": "a guess"})
    assert (missing.status_code, list(missing.json["errors"])) == (422, ["password"])
    assert (wrong.status_code, list(wrong.json["errors"])) == (422, ["password"])
    with database.transaction() as session:
        row = member_row(session, member.public_id)
        assert check_member_pin(session, row.id, "4711", passwords=PASSWORDS, now=clock()).code == "no_pin"
