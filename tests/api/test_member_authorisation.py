import pytest

from engine import cards, members
from engine.audit import list_audit
from engine.ledger.adjustments import adjust_points
from engine.ledger.commands import AdjustPoints
from tests.conftest import new_key

MASS_ASSIGNMENT = [{"balance": 10**6}, {"tier": "gold"}, {"status": "active"}, {"email": "other@example.org"},
                   {"member_id": "M000000001"}, {"full_name": "Anna", "status": "closed"}]


@pytest.mark.parametrize("changes", MASS_ASSIGNMENT, ids=lambda c: "+".join(c))
def test_a_member_cannot_patch_fields_that_are_not_theirs_to_set(client, database, member_headers, make_member,
                                                                 changes):
    member = make_member(points=50)
    response = client.patch("/v1/member/profile", headers=member_headers(member), json=changes)
    assert response.status_code == 422
    assert set(response.json["errors"]) >= set(changes) - {"full_name"}
    assert members.get_member(database, member.public_id) == member
    assert client.get("/v1/member/balance", headers=member_headers(member)).json["available"] == 50


def test_a_member_blocking_another_members_card_gets_404_and_the_card_is_unchanged(client, database, member_headers,
                                                                                  make_member, make_our_card):
    anna, ben = make_member(), make_member()
    bens_card = make_our_card(ben)
    response = client.post(f"/v1/member/cards/{bens_card.number}/block", headers=member_headers(anna),
                           json={"reason": "stolen"})
    assert (response.status_code, response.json["error"]) == (404, "unknown_card")
    assert cards.get_card(database, bens_card.number) == bens_card
    refused, signed_in = list_audit(database, actor=f"member:{anna.public_id}")
    assert (refused.outcome, refused.detail["refused"]) == ("404", f"card {bens_card.number} belongs to someone else")
    assert (signed_in.action, signed_in.outcome) == ("POST /v1/member/sessions", "201")


def test_a_member_blocking_a_card_that_does_not_exist_gets_the_same_404(client, member_headers, make_member,
                                                                       make_our_card):
    anna, ben = make_member(), make_member()
    bens = client.post(f"/v1/member/cards/{make_our_card(ben).number}/block", headers=member_headers(anna), json={})
    nobodys = client.post("/v1/member/cards/9999999999999999/block", headers=member_headers(anna), json={})
    assert bens.status_code == nobodys.status_code == 404
    assert bens.json["error"] == nobodys.json["error"]


@pytest.mark.parametrize("method, path", [("GET", "/v1/staff/members"), ("GET", "/v1/staff/audit"),
                                          ("POST", "/v1/staff/adjustments")])
def test_a_member_token_on_staff_endpoints_is_not_a_staff_token(client, member_headers, make_member, method, path):
    member = make_member()
    response = client.open(path, method=method, headers=member_headers(member) | {"Idempotency-Key": "k1"},
                           json={"member_id": member.public_id, "points": 10, "reason": "gift"}
                           if method == "POST" else None)
    assert (response.status_code, response.json["error"]) == (401, "invalid_token")


def test_a_member_token_on_terminal_endpoints_is_refused(client, member_headers, make_member, make_our_card):
    member = make_member()
    response = client.post("/v1/terminal/card-challenges", headers=member_headers(member),
                           json={"card_number": make_our_card(member).number})
    assert (response.status_code, response.json["error"]) == (401, "signature_missing")


def test_a_staff_token_is_not_a_member_token(client, staff_headers):
    response = client.get("/v1/member/profile", headers=staff_headers("admin"))
    assert (response.status_code, response.json["error"]) == (401, "invalid_token")


def test_member_endpoints_without_a_token_are_refused_and_audited(client, database):
    response = client.get("/v1/member/balance")
    assert response.status_code == 401
    assert [(e.actor, e.action, e.outcome) for e in list_audit(database)] == [
        ("anonymous", "GET /v1/member/balance", "401")]


def test_a_member_reads_their_history_and_export_without_the_staff_accounts_that_posted(
        client, member_headers, make_member, database, clock):
    member = make_member()
    adjust_points(database, AdjustPoints(member.public_id, 50, "goodwill", "support-sam"), caller="staff:support-sam",
                  idempotency_key=new_key(), now=clock())
    headers = member_headers(member)
    history = client.get("/v1/member/history", headers=headers).json
    exported = client.get("/v1/member/export", headers=headers).json
    assert [item["points"] for item in history] == [50] and "actor" not in history[0]
    assert "support-sam" not in str(history) and "support-sam" not in str(exported)
