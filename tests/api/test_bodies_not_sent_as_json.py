"""An endpoint that takes a JSON body refuses a body sent as anything else (text/plain, a
form, no Content-Type at all) with a 415 in the one error body, naming what was sent, and
changes nothing: it was read as no body, a profile change answered 200 and changed nothing.
An endpoint without fields may still be called with no body; signed terminal calls, sent as
JSON, are answered as before."""
import json

import pytest

from engine import members
from engine.rewards import RedeemReward, create_reward, redeem_reward
from tests.conftest import new_key
from tests.support.assertions import unchanged

CHANGE = json.dumps({"full_name": "Anna Nowak"})


@pytest.mark.parametrize("content_type, named", [("text/plain", "it was sent as text/plain"),
                                                 (None, "it was sent without a Content-Type"),
                                                 ("application/x-www-form-urlencoded",
                                                  "it was sent as application/x-www-form-urlencoded")])
def test_a_profile_change_not_sent_as_json_is_refused_naming_what_was_sent(client, database, member_headers,
                                                                          make_member, content_type, named):
    member = make_member()
    headers = member_headers(member) | ({"Content-Type": content_type} if content_type else {})
    with unchanged(database):
        response = client.patch("/v1/member/profile", data=CHANGE, headers=headers)
    assert (response.status_code, response.json["error"]) == (415, "unsupported_media_type"), response.json
    assert "must be JSON, sent with Content-Type: application/json" in response.json["message"]
    assert named in response.json["message"]
    assert members.get_member(database, member.public_id) == member


def test_a_profile_change_with_no_body_and_no_content_type_is_refused(client, database, member_headers, make_member):
    member = make_member()
    headers = member_headers(member)
    with unchanged(database):
        response = client.patch("/v1/member/profile", headers=headers)
    assert (response.status_code, response.json["error"]) == (415, "unsupported_media_type"), response.json


def test_a_sign_in_sent_as_text_is_refused_as_not_json(client, database):
    with unchanged(database):
        response = client.post("/v1/member/sessions", data=json.dumps({"email": "a@example.org", "password": "x"}),
                               content_type="text/plain")
    assert (response.status_code, response.json["error"]) == (415, "unsupported_media_type"), response.json


def test_an_endpoint_without_fields_takes_no_body_but_refuses_one_not_sent_as_json(
        client, database, member_headers, make_member, redeemed_voucher):
    member, code = redeemed_voucher
    headers = member_headers(member)
    with unchanged(database):
        refused = client.post(f"/v1/member/vouchers/{code}/cancel", data="please",
                              headers=headers | {"Idempotency-Key": new_key(), "Content-Type": "text/plain"})
    assert (refused.status_code, refused.json["error"]) == (415, "unsupported_media_type"), refused.json
    cancelled = client.post(f"/v1/member/vouchers/{code}/cancel", headers=headers | {"Idempotency-Key": new_key()})
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled"), cancelled.json


def test_a_json_body_is_read_as_before_with_a_charset_too(client, member_headers, make_member):
    member = make_member()
    response = client.patch("/v1/member/profile", data=CHANGE,
                            headers=member_headers(member) | {"Content-Type": "application/json; charset=utf-8"})
    assert (response.status_code, response.json["full_name"]) == (200, "Anna Nowak"), response.json


def test_a_signed_terminal_call_is_answered_as_before(terminal, make_our_card):
    response = terminal.post("/v1/terminal/card-challenges", {"card_number": make_our_card().number}, key=None)
    assert response.status_code == 201, response.json


def test_the_openapi_document_shows_the_415_of_a_json_endpoint(client):
    paths = client.get("/openapi.json").json["paths"]
    assert "415" in paths["/v1/member/profile"]["patch"]["responses"]
    assert "415" not in paths["/v1/member/vouchers"]["get"]["responses"]  # its arguments are in the query


@pytest.fixture
def redeemed_voucher(database, make_member, clock):
    create_reward(database, code="PEN", name="Pen", points_price=1, valid_from=clock(), now=clock())
    member = make_member(points=5)
    issued = redeem_reward(database, RedeemReward("PEN", member.public_id), caller="web", idempotency_key="k-1",
                           now=clock())
    return member, issued.voucher_code
