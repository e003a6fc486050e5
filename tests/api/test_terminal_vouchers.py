"""A till takes a member's reward voucher: once, replayable by key, refused when used."""
import pytest

from engine.rewards import RedeemReward, create_reward, get_voucher, redeem_reward
from tests.conftest import new_key


@pytest.fixture
def voucher(database, clock, make_member):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())
    return redeem_reward(database, RedeemReward("MUG", make_member(points=500).public_id), caller="member",
                         idempotency_key=new_key(), now=clock()).voucher_code


def test_a_till_uses_a_voucher_once_and_a_retry_gets_the_same_answer(terminal, voucher, database):
    key = new_key()
    first = terminal.post(f"/v1/terminal/vouchers/{voucher}/use", {}, key=key)
    again = terminal.post(f"/v1/terminal/vouchers/{voucher}/use", {}, key=key)
    assert (first.status_code, first.json["status"]) == (200, "used")
    assert (again.status_code, again.json) == (200, first.json)
    second_use = terminal.post(f"/v1/terminal/vouchers/{voucher}/use", {})
    assert (second_use.status_code, second_use.json["error"]) == (409, "voucher_not_usable")
    assert get_voucher(database, voucher).status == "used"


def test_an_unknown_voucher_is_not_found(terminal):
    response = terminal.post("/v1/terminal/vouchers/VNOSUCHVOUCHER/use", {})
    assert (response.status_code, response.json["error"]) == (404, "unknown_voucher")


def test_using_a_voucher_needs_an_idempotency_key(terminal, voucher, database):
    response = terminal.post(f"/v1/terminal/vouchers/{voucher}/use", {}, key=None)
    assert response.status_code == 400 and get_voucher(database, voucher).status == "issued"


def test_a_member_cannot_mark_a_voucher_used_through_the_till_endpoint(client, member_headers, make_member, voucher):
    response = client.post(f"/v1/terminal/vouchers/{voucher}/use", json={},
                           headers=member_headers(make_member()) | {"Idempotency-Key": new_key()})
    assert response.status_code == 401
