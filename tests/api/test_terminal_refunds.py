from engine.ledger.balances import get_history
from tests.api.conftest import refund_body
from tests.support.assertions import unchanged


def test_returning_half_a_line_takes_back_half_its_points(terminal, earned, clock):
    response = terminal.post("/v1/terminal/refunds", refund_body(terminal, clock))
    assert (response.status_code, response.json["points_reversed"]) == (201, 10)


def test_a_terminal_cannot_refund_another_stores_receipt(terminal, make_signed_terminal, earned, clock, database):
    other = make_signed_terminal()
    with unchanged(database):
        response = other.post("/v1/terminal/refunds", refund_body(terminal, clock))
    assert (response.status_code, response.json["error"]) == (403, "other_store")


def test_returning_more_than_was_bought_is_refused(terminal, earned, clock, database):
    with unchanged(database):
        response = terminal.post("/v1/terminal/refunds", refund_body(terminal, clock, lines=[{"line_no": 1,
                                                                                       "quantity": "3"}]))
    assert (response.status_code, response.json["error"]) == (409, "refund_exceeds_purchase")


def test_another_till_of_the_store_takes_the_return_and_is_named_on_the_posting(
        terminal, make_signed_terminal, earned, clock, database):
    service_desk = make_signed_terminal(terminal.store_code)
    response = service_desk.post("/v1/terminal/refunds", refund_body(terminal, clock))
    assert (response.status_code, response.json["points_reversed"]) == (201, 10)
    member_id = response.json["member_id"]
    refunds = [item for item in get_history(database, member_id) if item.kind == "refund"]
    assert [item.actor for item in refunds] == [f"terminal:{service_desk.terminal_code}"]


def test_a_receipt_is_named_by_the_till_that_made_the_sale(terminal, make_signed_terminal, earned, clock, database):
    service_desk = make_signed_terminal(terminal.store_code)
    with unchanged(database):
        response = service_desk.post("/v1/terminal/refunds",
                                     refund_body(terminal, clock, terminal_code=service_desk.terminal_code))
    assert (response.status_code, response.json["error"]) == (404, "unknown_receipt")
