"""The POS interface refuses a value of the wrong JSON type (BadRequest) instead of turning it
into another: no sale under receipt "None", no 150 points paid for 150.9, nor 1 for true.
Fake server; the card session opened as a UID card's (no reader needed)."""
import pytest

from terminal.session import CardRef

LINES = [{"line_no": 1, "sku": "BREAD", "quantity": "1", "amount_minor": 500}]


@pytest.fixture
def interface(readerless_pos):
    return readerless_pos


@pytest.mark.parametrize("receipt", [None, 1001, ["R-1"]])
def test_a_sale_is_not_started_under_a_receipt_that_is_not_a_text(interface, receipt):
    answer = interface.handle({"cmd": "start", "receipt": receipt})
    assert (answer["ok"], answer["error"]) == (False, "BadRequest") and "'receipt'" in answer["message"]
    assert interface.handle({"cmd": "status"})["receipt"] is None


@pytest.mark.parametrize("points", [150.9, True, "7", None])
def test_points_to_pay_that_are_not_a_whole_number_are_refused_and_nothing_is_held(fake_server, interface, points):
    fake_server.add_member("M1", points=500)
    fake_server.add_uid("04AABBCCDD", "M1", pin="1234")
    interface.handle({"cmd": "start", "receipt": "R-1"})
    opened = interface.agent.api.card_session(card_uid="04AABBCCDD", pin="1234")
    interface.session.card_presented(CardRef(uid="04AABBCCDD"))
    interface.session.authenticated(member=None, card_session=opened["card_session"], can_redeem=True)
    interface.handle({"cmd": "basket", "lines": LINES})
    answer = interface.handle({"cmd": "pay_points", "points": points})
    assert (answer["ok"], answer["error"], answer["state"]) == (False, "BadRequest", "basket")
    assert fake_server.holds == {}
    assert interface.handle({"cmd": "pay_points", "points": 150})["ok"]  # the sale goes on
