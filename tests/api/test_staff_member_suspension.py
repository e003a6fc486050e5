"""Suspending and reinstating a member over HTTP: support (and admin) suspend with a reason
under an idempotency key and reinstate; the member reads shows the status and, while
suspended, why, by whom and since when; the member still reads their points but cannot
redeem, and a till can neither open a card session for them nor take their voucher.
Marketers, auditors, members and tills are refused; an unknown member is 404, a bad body
422, and a retry replays the first answer."""
import pytest

from engine.rewards import RedeemReward, create_reward, redeem_reward
from tests.conftest import new_key
from tests.support.assertions import unchanged


def path(member, action: str) -> str:
    return f"/v1/staff/members/{member.public_id}/{action}"


@pytest.mark.parametrize("role", ["support", "admin"])
def test_support_suspends_a_member_and_reinstates_them(client, staff_headers, make_member, clock, role):
    member = make_member(points=300)
    staff = staff_headers(role, username=f"{role}-sam")
    suspended = client.post(path(member, "suspend"), json={"reason": "card shared by a cashier"},
                            headers=staff | {"Idempotency-Key": new_key()})
    assert suspended.status_code == 200, suspended.json
    assert suspended.json == {"member_id": member.public_id, "status": "suspended",
                              "reason": "card shared by a cashier", "changed_by": f"staff:{role}-sam",
                              "changed_at": clock().isoformat()}
    read = client.get(f"/v1/staff/members/{member.public_id}", headers=staff).json
    assert (read["status"], read["suspension"]) == ("suspended", {
        "reason": "card shared by a cashier", "by": f"staff:{role}-sam", "at": clock().isoformat()})
    listed = {m["member_id"]: m for m in client.get("/v1/staff/members", headers=staff).json}
    assert listed[member.public_id]["suspension"]["reason"] == "card shared by a cashier"

    reinstated = client.post(path(member, "reinstate"), json={}, headers=staff | {"Idempotency-Key": new_key()})
    assert (reinstated.status_code, reinstated.json["status"], reinstated.json["reason"]) == (200, "active", None)
    read = client.get(f"/v1/staff/members/{member.public_id}", headers=staff).json
    assert (read["status"], read["suspension"]) == ("active", None)


def test_a_suspended_member_reads_their_points_but_redeems_nothing_and_no_till_takes_them(
        client, database, clock, staff_headers, member_headers, make_member, make_our_card, terminal, card_session):
    member = make_member(points=500)
    card = make_our_card(member)
    own = member_headers(member)
    create_reward(database, code="MUG", name="Mug", points_price=100, valid_from=clock(), now=clock())
    voucher = redeem_reward(database, RedeemReward("MUG", member.public_id), caller="tests",
                            idempotency_key=new_key(), now=clock())
    client.post(path(member, "suspend"), json={"reason": "under investigation"},
                headers=staff_headers("support") | {"Idempotency-Key": new_key()})

    assert client.get("/v1/member/balance", headers=own).json["available"] == 400
    assert client.get("/v1/member/profile", headers=own).json["status"] == "suspended"
    assert "suspension" not in client.get("/v1/member/profile", headers=own).json  # staff only
    with unchanged(database):
        redeemed = client.post("/v1/member/rewards/MUG/redeem", json={}, headers=own | {"Idempotency-Key": new_key()})
        challenge = terminal.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None)
        used = terminal.post(f"/v1/terminal/vouchers/{voucher.voucher_code}/use", {})
    for refused in (redeemed, challenge, used):
        assert (refused.status_code, refused.json["error"]) == (409, "member_not_active"), refused.json
    assert "contact support" in redeemed.json["message"]

    client.post(path(member, "reinstate"), json={}, headers=staff_headers("support") | {"Idempotency-Key": new_key()})
    assert card_session(card)["member"]["member_id"] == member.public_id
    assert terminal.post(f"/v1/terminal/vouchers/{voucher.voucher_code}/use", {}).status_code == 200


@pytest.mark.parametrize("caller", ["marketer", "auditor", "mailer", "member", "terminal"])
def test_only_staff_who_change_members_may_suspend_or_reinstate(client, database, staff_headers, member_headers,
                                                                make_member, terminal, caller):
    member = make_member()
    headers = member_headers(member) if caller == "member" else {} if caller == "terminal" \
        else staff_headers(caller)
    with unchanged(database):
        for action, body in (("suspend", {"reason": "x"}), ("reinstate", {})):
            if caller == "terminal":
                response = terminal.post(path(member, action), body)
            else:
                response = client.post(path(member, action), json=body, headers=headers | {"Idempotency-Key": new_key()})
            assert response.status_code == (401 if caller in ("member", "terminal") else 403), response.json
    assert client.get(f"/v1/staff/members/{member.public_id}", headers=staff_headers("support")).json["status"] == \
        "active"


def test_an_unknown_member_is_404(client, staff_headers, database):
    support = staff_headers("support")
    with unchanged(database):
        for action, body in (("suspend", {"reason": "x"}), ("reinstate", {})):
            response = client.post(f"/v1/staff/members/MNOSUCHMEMBER/{action}", json=body,
                                   headers=support | {"Idempotency-Key": new_key()})
            assert (response.status_code, response.json["error"]) == (404, "unknown_member")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 201}, {"reason": 7}, {"reason": "   "},
                                  {"reason": "x", "until": "2027-01-01"}, []])
def test_a_suspension_without_a_proper_reason_is_422(client, staff_headers, make_member, database, body):
    member = make_member()
    support = staff_headers("support")
    with unchanged(database):
        response = client.post(path(member, "suspend"), json=body, headers=support | {"Idempotency-Key": new_key()})
    assert response.status_code == 422, response.json
    assert client.post(path(member, "reinstate"), json={"reason": "x"},
                       headers=support | {"Idempotency-Key": new_key()}).status_code == 422


def test_a_retry_replays_the_first_answer_and_a_second_suspension_is_refused(client, staff_headers, make_member,
                                                                             database):
    member = make_member()
    support = staff_headers("support")
    key = {"Idempotency-Key": new_key()}
    with unchanged(database):
        no_key = client.post(path(member, "suspend"), json={"reason": "x"}, headers=support)
    assert (no_key.status_code, no_key.json["error"]) == (400, "idempotency_key_missing")
    first = client.post(path(member, "suspend"), json={"reason": "under investigation"}, headers=support | key)
    again = client.post(path(member, "suspend"), json={"reason": "under investigation"}, headers=support | key)
    assert (again.status_code, again.json) == (200, first.json)
    other_body = client.post(path(member, "suspend"), json={"reason": "another"}, headers=support | key)
    assert (other_body.status_code, other_body.json["error"]) == (422, "idempotency_key_reused")
    twice = client.post(path(member, "suspend"), json={"reason": "x"}, headers=support | {"Idempotency-Key": new_key()})
    assert (twice.status_code, twice.json["error"]) == (409, "already_suspended")
    client.post(path(member, "reinstate"), json={}, headers=support | {"Idempotency-Key": new_key()})
    not_suspended = client.post(path(member, "reinstate"), json={}, headers=support | {"Idempotency-Key": new_key()})
    assert (not_suspended.status_code, not_suspended.json["error"]) == (409, "not_suspended")


def test_suspending_and_reinstating_are_in_the_audit_log_and_the_openapi_document(client, staff_headers, make_member):
    member = make_member()
    support = staff_headers("support", username="sam")
    client.post(path(member, "suspend"), json={"reason": "x"}, headers=support | {"Idempotency-Key": new_key()})
    client.post(path(member, "reinstate"), json={}, headers=support | {"Idempotency-Key": new_key()})
    entries = client.get("/v1/staff/audit", headers=staff_headers("auditor")).json
    mine = [(e["action"], e["outcome"]) for e in entries if e["actor"] == "staff:sam"]
    assert ("POST /v1/staff/members/<member_id>/suspend", "200") in mine
    assert ("POST /v1/staff/members/<member_id>/reinstate", "200") in mine
    document = client.get("/openapi.json").json
    suspend = document["paths"]["/v1/staff/members/{member_id}/suspend"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in suspend["parameters"]]
    assert "reason" in document["components"]["schemas"]["SuspendMember"]["required"]
    assert "suspension" in document["components"]["schemas"]["StaffMember"]["properties"]
