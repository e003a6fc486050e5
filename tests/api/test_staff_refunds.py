"""Returns at another store's service desk, or by post: support refunds a receipt of any
store by HTTP, exactly as a till's return, under the support agent's name; a marketer cannot."""
import uuid

import pytest

from engine.ledger.balances import get_history
from tests.support.assertions import unchanged


@pytest.fixture
def sold(terminal, make_card, clock):
    """A 20.00 sale of two units at ``terminal`` (another store than any staff member's)."""
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    body = {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_uid": card.number,
            "lines": [{"line_no": 1, "sku": "A", "quantity": "2", "amount_minor": 2000}]}
    assert terminal.post("/v1/terminal/accruals", body).status_code == 201
    clock.advance(hours=1)
    return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "lines": [{"line_no": 1, "quantity": "1"}]}


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
