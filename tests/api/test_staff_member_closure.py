"""Closing a member over HTTP: support closes with a reason and an idempotency key, the
points are forfeited and the profile erased; the member's token stops working; a marketer
is refused; a second closure, open holds and a missing key are refused and change nothing."""
from engine.member_closure import ERASED_NAME
from tests.api.conftest import PASSWORD
from tests.conftest import new_key
from tests.support.assertions import unchanged


def test_support_closes_a_member_who_asked_for_erasure(client, staff_headers, member_headers, make_member):
    member = make_member("Ada Lovelace", points=300)
    own = member_headers(member)
    support = staff_headers("support") | {"Idempotency-Key": new_key()}
    closed = client.post(f"/v1/staff/members/{member.public_id}/close", json={"reason": "asked for erasure"},
                         headers=support)
    assert closed.status_code == 200, closed.json
    assert (closed.json["points_forfeited"], closed.json["cards_retired"]) == (300, 0)
    again = client.post(f"/v1/staff/members/{member.public_id}/close", json={"reason": "asked for erasure"},
                        headers=support)
    assert again.json == closed.json  # a retry replays
    profile = client.get(f"/v1/staff/members/{member.public_id}", headers=support).json
    assert (profile["status"], profile["full_name"], profile["email"]) == ("closed", ERASED_NAME, None)
    assert client.get("/v1/member/balance", headers=own).status_code == 401


def test_closing_is_refused_to_a_marketer_without_a_key_and_twice(client, staff_headers, make_member, database):
    member = make_member(points=10)
    path = f"/v1/staff/members/{member.public_id}/close"
    marketer, support = staff_headers("marketer"), staff_headers("support")
    with unchanged(database):
        refused = client.post(path, json={"reason": "x"}, headers=marketer | {"Idempotency-Key": new_key()})
        no_key = client.post(path, json={"reason": "x"}, headers=support)
        no_reason = client.post(path, json={}, headers=support | {"Idempotency-Key": new_key()})
    assert (refused.status_code, no_key.status_code, no_reason.status_code) == (403, 400, 422)
    client.post(path, json={"reason": "x"}, headers=support | {"Idempotency-Key": new_key()})
    twice = client.post(path, json={"reason": "x"}, headers=support | {"Idempotency-Key": new_key()})
    assert (twice.status_code, twice.json["error"]) == (409, "member_closed")


def test_a_member_closes_their_own_account_with_their_password(client, member_headers, make_member, database):
    member = make_member(points=90)
    own = member_headers(member)
    path = "/v1/member/account/close"
    wrong = client.post(path, json={"password": "not my password"}, headers=own | {"Idempotency-Key": new_key()})
    assert (wrong.status_code, wrong.json["errors"]) == (422, {"password": ["wrong password"]})
    assert client.get("/v1/member/balance", headers=own).json["available"] == 90  # the guess is counted, no more
    closed = client.post(path, json={"password": PASSWORD}, headers=own | {"Idempotency-Key": new_key()})
    assert (closed.status_code, closed.json["points_forfeited"]) == (200, 90)
    assert client.get("/v1/member/profile", headers=own).status_code == 401
