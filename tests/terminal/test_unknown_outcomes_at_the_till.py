"""Requests whose answer never came: the till sends them again under the same key, and a
payment with points it cannot confirm is either taken as paid, cancelled, or named unknown;
never reported as failed while the points were spent. Real pcscd + virtual card, fake server."""
from datetime import datetime, timezone

import pytest

from terminal.errors import ApiUnreachable
from terminal.session import PosSession, State

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700}]


@pytest.fixture
def sale_at_basket(fake_server, make_card, make_agent, receipt):
    """An agent and a sale at its basket: a member with 500 points tapped, the basket given."""
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    agent = make_agent()
    session = PosSession(receipt())
    agent.tap(session)
    agent.give_basket(session, LINES)
    return agent, session


def capture_keys(fake_server) -> set[str]:
    return {key for key, (_, answer) in fake_server.writes.items() if answer.get("state") == "captured"}


def test_a_capture_whose_answer_was_lost_is_sent_again_under_its_key_and_the_sale_goes_on(
        sale_at_basket, fake_server):
    agent, session = sale_at_basket
    fake_server.stall_on, fake_server.commit_then_stall = "/capture", 1
    hold = agent.pay_with_points(session, 200)
    assert session.state is State.CAPTURED and session.paid_with_points_minor == hold.value_minor
    assert fake_server.holds[hold.hold_id]["state"] == "captured"
    assert len(capture_keys(fake_server)) == 1  # the retry replayed the first try's answer
    agent.accrue(session)
    assert fake_server.points_of("M1") == 500 - 200 + 7


def test_a_capture_that_went_through_unseen_is_taken_as_paid(sale_at_basket, fake_server, monkeypatch):
    agent, session = sale_at_basket
    capture = agent.api.capture_hold
    tries = []

    def captured_then_silent(hold_id, **kwargs):
        if not tries:
            capture(hold_id, **kwargs)  # the server captures; its answer is lost, and every retry's
        tries.append(kwargs["idempotency_key"])
        raise ApiUnreachable("The loyalty server did not answer within 1 s.")

    monkeypatch.setattr(agent.api, "capture_hold", captured_then_silent)
    hold = agent.pay_with_points(session, 200)
    assert len(tries) == 3 and len(set(tries)) == 1
    # the void the till sent to find out was refused: the hold had been captured
    assert session.state is State.CAPTURED and fake_server.holds[hold.hold_id]["state"] == "captured"
    agent.accrue(session)
    assert fake_server.points_of("M1") == 500 - 200 + 7


def test_a_capture_that_never_arrived_is_cancelled_and_nothing_is_taken(sale_at_basket, fake_server,
                                                                          monkeypatch):
    agent, session = sale_at_basket

    def silent(hold_id, **kwargs):
        raise ApiUnreachable("The loyalty server did not answer within 1 s.")

    monkeypatch.setattr(agent.api, "capture_hold", silent)
    with pytest.raises(ApiUnreachable, match="no points were taken"):
        agent.pay_with_points(session, 200)
    assert session.state is State.FAILED and session.hold is None
    assert [hold["state"] for hold in fake_server.holds.values()] == ["voided"]
    assert fake_server.points_of("M1") == 500


def test_a_payment_the_server_cannot_be_asked_about_is_named_unknown(sale_at_basket, fake_server, monkeypatch):
    agent, session = sale_at_basket
    capture = agent.api.capture_hold

    def captured_then_gone(hold_id, **kwargs):
        capture(hold_id, **kwargs)
        fake_server.down = True
        raise ApiUnreachable("The loyalty server cannot be reached (ConnectionError).")

    monkeypatch.setattr(agent.api, "capture_hold", captured_then_gone)
    with pytest.raises(ApiUnreachable, match="cannot tell now whether the points were taken"):
        agent.pay_with_points(session, 200)
    assert session.state is State.FAILED and session.hold is None  # nothing this till can undo now


def test_a_return_whose_answer_was_lost_is_sent_again_under_its_key_and_posted_once(
        sale_at_basket, fake_server, receipt):
    agent, sale = sale_at_basket
    agent.accrue(sale)
    fake_server.stall_on, fake_server.commit_then_stall = "/refunds", 1
    ret = PosSession(receipt())
    agent.refund(ret, original_receipt=sale.receipt_number, occurred_at=datetime.now(timezone.utc),
                 lines=[{"line_no": 1, "quantity": 2}])
    assert ret.state is State.DONE and len(fake_server.refunds) == 1
    assert fake_server.points_of("M1") == 500


def test_a_return_the_server_never_answers_fails_after_the_pauses_and_says_to_check(
        fake_server, make_agent, receipt):
    agent = make_agent()
    slept = []
    agent.sleep = slept.append
    fake_server.down = True
    ret = PosSession(receipt())
    with pytest.raises(ApiUnreachable, match="look at the member's history"):
        agent.refund(ret, original_receipt="R-1", occurred_at=datetime.now(timezone.utc),
                     lines=[{"line_no": 1, "quantity": 1}])
    assert ret.state is State.FAILED and tuple(slept) == agent.retry_pauses == (0.5, 2.0)
