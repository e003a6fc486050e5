"""Vouchers with an end over HTTP: a marketer gives a reward's vouchers a number of days, the
member sees each voucher's end, a till is refused a voucher past it and so is the member
cancelling it (409 ``voucher_expired``, nothing changed), support may cancel it; a bad
number of days is refused naming the field."""
from datetime import datetime, timedelta

import pytest

from engine.rewards import get_voucher
from tests.conftest import new_key
from tests.support.assertions import unchanged


@pytest.fixture
def marketer(staff_headers):
    return staff_headers("marketer")


def test_a_voucher_past_its_days_is_refused_at_the_till_and_to_the_member_but_support_may_cancel_it(
        client, marketer, member_headers, staff_headers, make_member, terminal, database, clock):
    created = client.post("/v1/staff/rewards", json={"code": "MUG", "name": "Mug", "points_price": 300,
                                                     "voucher_valid_days": 30}, headers=marketer)
    assert (created.status_code, created.json["voucher_valid_days"]) == (201, 30), created.json
    ada = make_member(points=1000)
    issued = client.post("/v1/member/rewards/MUG/redeem", json={},
                         headers=member_headers(ada) | {"Idempotency-Key": new_key()})
    ends = datetime.fromisoformat(issued.json["expires_at"])
    assert clock() + timedelta(days=30) < ends <= clock() + timedelta(days=31)
    [voucher] = client.get("/v1/member/vouchers", headers=member_headers(ada)).json
    assert voucher["expires_at"] == issued.json["expires_at"]
    clock.advance(seconds=(ends - clock()).total_seconds())
    code, signed_in_again = issued.json["voucher_code"], member_headers(ada)
    with unchanged(database):
        refused = terminal.post(f"/v1/terminal/vouchers/{code}/use", {})
        taken_back = client.post(f"/v1/member/vouchers/{code}/cancel", json={},
                                 headers=signed_in_again | {"Idempotency-Key": new_key()})
    assert (refused.status_code, refused.json["error"]) == (409, "voucher_expired")
    assert (taken_back.status_code, taken_back.json["error"]) == (409, "voucher_expired")
    assert get_voucher(database, code).status == "issued"
    goodwill = client.post(f"/v1/staff/vouchers/{code}/cancel", json={},
                           headers=staff_headers("support") | {"Idempotency-Key": new_key()})
    assert (goodwill.status_code, goodwill.json["status"]) == (200, "cancelled")


@pytest.mark.parametrize("method, path, body", [
    ("post", "/v1/staff/rewards", {"code": "CUP", "name": "Cup", "points_price": 300, "voucher_valid_days": 0}),
    ("post", "/v1/staff/rewards", {"code": "CUP", "name": "Cup", "points_price": 300, "voucher_valid_days": "30"}),
    ("patch", "/v1/staff/rewards/MUG", {"voucher_valid_days": 3651}),
    ("patch", "/v1/staff/rewards/MUG", {"voucher_valid_days": None}),
])
def test_a_bad_number_of_days_is_refused_naming_the_field(client, marketer, database, method, path, body):
    client.post("/v1/staff/rewards", json={"code": "MUG", "name": "Mug", "points_price": 300}, headers=marketer)
    with unchanged(database):
        response = getattr(client, method)(path, json=body, headers=marketer)
    assert (response.status_code, list(response.json["errors"])) == (422, ["voucher_valid_days"]), response.json
