"""The till refuses a basket that cannot be right before keeping it (offline it would reach
the server only hours later), naming every line and field that is wrong."""
from datetime import datetime, timezone

import pytest

from terminal.basket import checked_lines, checked_receipt_number, checked_sale_time
from terminal.errors import InvalidBasket

COFFEE = {"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700}


def test_good_lines_are_kept_with_their_quantities_as_decimal_text():
    lines = [dict(COFFEE, quantity=2), {"line_no": 2, "sku": "CHEESE", "quantity": 0.455, "amount_minor": 591,
                                        "category": "dairy", "brand": "Gouda"}]
    assert [line["quantity"] for line in checked_lines(lines)] == ["2", "0.455"]
    assert checked_lines([COFFEE]) == [COFFEE]


@pytest.mark.parametrize("change, said", [
    ({"line_no": 0}, "line 1: line_no must be a whole number from 1"),
    ({"line_no": "1"}, "line 1: line_no must be a whole number from 1"),
    ({"line_no": 2**31}, "line 1: line_no must be a whole number from 1 to 2147483647"),
    ({"sku": ""}, "line 1: sku must be a text of 1 to 64 characters"),
    ({"sku": "X" * 65}, "line 1: sku must be a text"),
    ({"quantity": "0"}, "line 1: quantity must be a number more than 0"),
    ({"quantity": "1.0001"}, "line 1: quantity must be a number more than 0 and below 1000000 with at most three"),
    ({"quantity": "NaN"}, "line 1: quantity must be"), ({"quantity": True}, "line 1: quantity must be"),
    ({"quantity": None}, "line 1: quantity must be"),
    ({"amount_minor": -1}, "line 1: amount_minor must be a whole number of cents from 0 to 100000000000"),
    ({"amount_minor": 10**11 + 1}, "line 1: amount_minor must be a whole number of cents from 0"),
    ({"quantity": "1000000"}, "line 1: quantity must be a number more than 0 and below 1000000"),
    ({"sku": "COF\x00FEE"}, "line 1: sku must be a text"), ({"brand": "\ud800"}, "line 1: brand must be a text"),
    ({"amount_minor": 7.5}, "line 1: amount_minor must be a whole number"),
    ({"amount_minor": False}, "line 1: amount_minor must be a whole number"),
    ({"category": ""}, "line 1: category must be a text"), ({"brand": 7}, "line 1: brand must be a text"),
    ({"price": 700}, "line 1: unknown field(s) 'price'")])
def test_a_wrong_field_is_refused_with_its_line_and_what_it_must_be(change, said):
    with pytest.raises(InvalidBasket, match="The basket cannot be taken: ") as refusal:
        checked_lines([dict(COFFEE, **change)])
    assert said in refusal.value.message


def test_every_problem_of_every_line_is_named_at_once():
    with pytest.raises(InvalidBasket) as refusal:
        checked_lines([COFFEE, dict(COFFEE, sku=""), "TEA 2.00", {"line_no": 4}])
    message = refusal.value.message
    assert "line 2: line_no must be a whole number from 1 to 2147483647, different on every line" in message
    assert "line 2: sku must be" in message and "line 3 is not an object" in message
    assert "line 4: sku must be" in message and "line 4: quantity must be" in message
    assert "line 4: amount_minor must be" in message


@pytest.mark.parametrize("lines", [[], None, "COFFEE", {"line_no": 1},
                                   [dict(COFFEE, line_no=n) for n in range(1, 502)]])
def test_a_basket_without_a_list_of_lines_is_refused(lines):
    with pytest.raises(InvalidBasket, match="A basket is a list of 1 to 500 lines."):
        checked_lines(lines)


@pytest.mark.parametrize("receipt", ["", " R-1", "R" * 65, "R-\x001", 17])
def test_a_receipt_number_the_server_would_refuse_is_refused_at_the_till(receipt):
    with pytest.raises(InvalidBasket, match="The receipt number must be a text of 1 to 64 characters"):
        checked_receipt_number(receipt)
    assert checked_receipt_number("R-1") == "R-1"


def test_the_tills_bounds_are_the_servers():
    from engine.ledger import basket as server
    from terminal import basket as till
    assert (till.MAX_LINES, till.MAX_LINE_NO, till.MAX_QUANTITY, till.MAX_LINE_MINOR) == (
        server.MAX_LINES, server.MAX_LINE_NO, server.MAX_QUANTITY, server.MAX_LINE_MINOR)


def test_a_sale_time_must_say_its_time_zone():
    at = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert checked_sale_time(at) == at and checked_sale_time(None) is None
    with pytest.raises(InvalidBasket, match="must carry its time zone"):
        checked_sale_time(at.replace(tzinfo=None))
