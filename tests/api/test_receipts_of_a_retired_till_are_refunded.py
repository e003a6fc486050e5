"""A till retired after its sales leaves them as they were: their goods come back at another
till of its store or through the service team, as any receipt's do; the retired till itself
takes no return (its keys identify nobody). A payment with points made there is given back
at another till of its store too."""
import uuid

import pytest

from engine.stores import retire_terminal
from tests.api.conftest import refund_body
from tests.support.assertions import unchanged


@pytest.fixture
def retired(terminal, earned, database):
    """``terminal``, which made sale R1, retired since."""
    retire_terminal(database, terminal.terminal_code)
    return terminal


def test_another_till_of_the_store_refunds_a_receipt_of_a_retired_till(make_signed_terminal, retired, clock):
    service_desk = make_signed_terminal(retired.store_code)
    response = service_desk.post("/v1/terminal/refunds", refund_body(retired, clock))
    assert (response.status_code, response.json["points_reversed"]) == (201, 10)


def test_support_refunds_a_receipt_of_a_retired_till(client, staff_headers, retired, clock):
    headers = staff_headers("support") | {"Idempotency-Key": str(uuid.uuid4())}
    response = client.post("/v1/staff/refunds", json=refund_body(retired, clock), headers=headers)
    assert (response.status_code, response.json["points_reversed"]) == (201, 10)


def test_the_retired_till_itself_takes_no_return(retired, clock, database):
    with unchanged(database):
        response = retired.post("/v1/terminal/refunds", refund_body(retired, clock))
    assert (response.status_code, response.json["error"]) == (401, "invalid_terminal_key")



def test_a_payment_with_points_at_a_retired_till_is_given_back_at_another_till_of_its_store(
        terminal, make_signed_terminal, make_member, make_our_card, card_session, database, clock):
    member = make_member(points=1000)
    opened = card_session(make_our_card(member))["card_session"]
    hold = terminal.post("/v1/terminal/holds", {"card_session": opened, "points": 300, "receipt_number": "R9"}).json
    assert terminal.post(f"/v1/terminal/holds/{hold['hold_id']}/capture", {}).status_code == 200
    retire_terminal(database, terminal.terminal_code)
    service_desk = make_signed_terminal(terminal.store_code)
    returned = service_desk.post(f"/v1/terminal/holds/{hold['hold_id']}/return", {})
    assert (returned.status_code, returned.json["points"]) == (200, 300), returned.json
