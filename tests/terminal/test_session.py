"""The POS session state machine, alone: steps in order, refusals, cleanup."""
import pytest

from terminal.errors import RedemptionNeedsServer, SessionError
from terminal.session import CardRef, Hold, Member, PosSession, State

MEMBER = Member("M1", "Ada", "gold", available=300)


def authenticated_session(**kwargs) -> PosSession:
    session = PosSession("R1")
    session.card_presented(CardRef(card_number="6280001234567890", key_version=1))
    session.authenticated(member=MEMBER, card_session="tok", can_redeem=True, **kwargs)
    return session


def test_a_sale_goes_from_idle_through_the_card_and_basket_to_done():
    session = authenticated_session()
    session.basket_given({"lines": []})
    session.accrued({"points": 5}, queued=False)
    assert session.state is State.DONE
    assert session.history == [State.IDLE, State.CARD_PRESENT, State.AUTHENTICATED, State.BASKET]


def test_paying_with_points_holds_then_captures_before_earning():
    session = authenticated_session()
    session.basket_given({"lines": []})
    session.check_can_hold(100)
    session.hold_placed(Hold("H1", 100, 100))
    session.hold_captured(value_minor=100)
    session.accrued({}, queued=False)
    assert session.state is State.DONE and session.paid_with_points_minor == 100
    assert session.paid is None  # it belongs to the sale now


def test_points_paid_stay_to_give_back_until_the_sale_earns():
    session = authenticated_session()
    session.basket_given({"lines": []})
    session.hold_placed(Hold("H1", 100, 100))
    session.hold_captured(value_minor=100)
    assert session.paid == Hold("H1", 100, 100) and session.hold is None
    session.failed("The accrual was refused.")
    assert session.paid == Hold("H1", 100, 100)  # a failure alone gives nothing back: the POS cancels
    session.payment_given_back()
    assert session.paid is None


def test_steps_out_of_order_are_refused_with_the_current_state():
    session = PosSession("R1")
    with pytest.raises(SessionError, match="at 'idle'"):
        session.basket_given({"lines": []})
    with pytest.raises(SessionError):
        session.accrued({}, queued=False)


def test_a_failure_with_an_open_hold_asks_for_the_hold_to_be_voided():
    session = authenticated_session()
    session.basket_given({"lines": []})
    session.hold_placed(Hold("H9", 50, 50))
    session.failed("The card session expired.")
    assert session.cleanup == [("void_hold", "H9")]
    with pytest.raises(SessionError, match="hold is still open"):
        session.reset("R2")
    session.hold_voided()
    session.reset("R2")
    assert session.state is State.IDLE and session.receipt_number == "R2"


def test_offline_a_sale_can_earn_but_not_pay_with_points():
    session = authenticated_session(offline=True)
    session.basket_given({"lines": []})
    with pytest.raises(RedemptionNeedsServer, match="cannot be reached"):
        session.check_can_hold(10)


def test_a_card_without_redeem_rights_cannot_pay_with_points():
    session = PosSession("R1")
    session.card_presented(CardRef(uid="04AA"))
    session.authenticated(member=MEMBER, card_session="tok", can_redeem=False)
    session.basket_given({"lines": []})
    with pytest.raises(SessionError, match="PIN"):
        session.check_can_hold(10)


def test_more_points_than_the_member_has_are_refused_before_asking_the_server():
    session = authenticated_session()
    session.basket_given({"lines": []})
    with pytest.raises(SessionError, match="only 300 points"):
        session.check_can_hold(301)


def test_voiding_a_hold_returns_to_the_basket():
    session = authenticated_session()
    session.basket_given({"lines": []})
    session.hold_placed(Hold("H1", 10, 10))
    session.hold_voided()
    assert session.state is State.BASKET and session.cleanup == []


def test_a_return_needs_no_card():
    session = PosSession("R5")
    session.refund_started()
    session.refunded({"points": -4})
    assert session.state is State.DONE
    with pytest.raises(SessionError, match="unfinished|still at"):
        PosSession("R6", state=State.BASKET).reset("R7")
