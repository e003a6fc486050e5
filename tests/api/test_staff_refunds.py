"""Returns at another store's service desk, or by post: support refunds a receipt of any
store by HTTP, exactly as a till's return, under the support agent's name; a marketer cannot."""
import uuid

import pytest

from engine.ledger.balances import get_history
from tests.api.conftest import refund_body
from tests.support.assertions import unchanged


@pytest.fixture
def sold(terminal, earned, clock):
    """The return of one unit of a sale at ``terminal`` (another store than any staff member's)."""
    return refund_body(terminal, clock)


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_support_takes_a_return_of_any_store_under_their_name_once(client, staff_headers, sold, database):
    headers = staff_headers("support", username="sam") | key()
    first = client.post("/v1/staff/refunds", json=sold, headers=headers)
    assert (first.status_code, first.json["points_reversed"]) == (201, 10)
    assert client.post("/v1/staff/refunds", json=sold, headers=headers).json == first.json  # a retry
    refunds = [h for h in get_history(database, first.json["member_id"]) if h.kind == "refund"]
    assert [h.actor for h in refunds] == ["staff:sam"]


def test_a_marketer_cannot_take_back_a_members_points(client, staff_headers, sold, database):
    headers = staff_headers("marketer") | key()
    with unchanged(database):
        response = client.post("/v1/staff/refunds", json=sold, headers=headers)
    assert response.status_code == 403


def test_a_return_of_an_unknown_receipt_is_refused(client, staff_headers, sold, database):
    headers = staff_headers("support") | key()
    response = client.post("/v1/staff/refunds", json=sold | {"receipt_number": "R-nope"}, headers=headers)
    assert (response.status_code, response.json["error"]) == (404, "unknown_receipt")
