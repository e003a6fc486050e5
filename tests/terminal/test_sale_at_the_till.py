"""Whole sales at the till: real pcscd + virtual card, the agent, a fake loyalty server."""
from datetime import datetime, timezone

import pytest

from terminal.errors import (
    ApiError, ApiUnreachable, ApplicationBlocked, CardNotAuthentic, CardRemoved, ForeignCard,
    RedemptionNeedsServer, SessionError,
)
from terminal.session import PosSession, State

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700},
         {"line_no": 2, "sku": "CAKE", "quantity": "1", "amount_minor": 450}]


@pytest.fixture
def member_card(fake_server, make_card):
    """A member with 500 points and their card, registered and ready to tap."""
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    key = fake_server.add_card("6280001234567890", "M1")
    return lambda **hooks: make_card(card_key=key, **hooks)


@pytest.fixture
def sale_at_basket(member_card, make_agent, receipt):
    """An agent and a sale at its basket: the member's card tapped, the basket given."""
    agent = make_agent()
    member_card().tap()
    session = PosSession(receipt())
    agent.tap(session)
    agent.give_basket(session, LINES)
    return agent, session


def test_a_tap_shows_the_member_and_the_basket_earns_points(member_card, make_agent,
                                                              fake_server, receipt):
    agent = make_agent()
    member_card().tap()
    session = PosSession(receipt())
    member = agent.tap(session)
    assert (member.display_name, member.tier, member.available) == ("Ada Lovelace", "gold", 500)
    agent.give_basket(session, LINES)
    result = agent.accrue(session)
    assert result["points"] == 11
    assert session.state is State.DONE and not session.queued
    assert fake_server.points_of("M1") == 511
    assert agent.timing.apdu_ms > 0 and agent.timing.api_ms > 0


def test_the_member_pays_part_of_the_bill_with_points(sale_at_basket, fake_server):
    agent, session = sale_at_basket
    hold = agent.pay_with_points(session, 200)
    assert session.state is State.CAPTURED and session.paid_with_points_minor == hold.value_minor
    agent.accrue(session)
    assert fake_server.holds[hold.hold_id]["state"] == "captured"
    assert fake_server.accruals[-1]["paid_with_points_minor"] == 200
    assert fake_server.points_of("M1") == 500 - 200 + 11


def test_points_worth_more_than_the_bill_are_given_back_and_the_sale_stays_at_its_basket(sale_at_basket, fake_server):
    agent, session = sale_at_basket  # a bill of 11.50
    fake_server.point_value_minor = 3  # a point pays 0.03
    with pytest.raises(SessionError, match="worth more than the bill"):
        agent.pay_with_points(session, 400)  # 12.00
    assert session.state is State.BASKET and session.hold is None
    assert [hold["state"] for hold in fake_server.holds.values()] == ["voided"]
    assert fake_server.points_of("M1") == 500
    agent.pay_with_points(session, 300)  # 9.00: fine
    agent.accrue(session)
    assert fake_server.accruals[-1]["paid_with_points_minor"] == 900


def test_a_second_tap_after_paying_with_points_is_refused_and_the_sale_still_earns(sale_at_basket, fake_server):
    agent, session = sale_at_basket
    agent.pay_with_points(session, 200)
    with pytest.raises(SessionError):
        agent.tap(session, timeout=5)  # the card is still on the reader: a double click, a POS's retry
    assert session.state is State.CAPTURED
    agent.accrue(session)
    assert fake_server.points_of("M1") == 500 - 200 + 11


def test_a_return_by_receipt_takes_back_the_points_of_returned_lines(member_card, make_agent,
                                                                     fake_server, receipt):
    agent = make_agent()
    member_card().tap()
    sale = PosSession(receipt())
    agent.tap(sale)
    agent.give_basket(sale, LINES)
    agent.accrue(sale)
    ret = PosSession(receipt())
    agent.refund(ret, original_receipt=sale.receipt_number,
                 occurred_at=datetime.now(timezone.utc), lines=[{"line_no": 1, "quantity": 2}])
    assert ret.state is State.DONE
    assert fake_server.points_of("M1") == 504


def test_a_cloned_card_with_the_wrong_key_is_refused(member_card, make_agent, fake_server,
                                                      receipt):
    agent = make_agent()
    member_card(wrong_key=True).tap()
    session = PosSession(receipt())
    with pytest.raises(CardNotAuthentic, match="copy"):
        agent.tap(session)
    assert session.state is State.FAILED and "copy" in session.message
    assert fake_server.accruals == []


def test_a_blocked_card_is_refused_before_asking_the_server(fake_server, make_card, make_agent,
                                                            receipt):
    agent = make_agent()
    make_card(card_key=bytes(16), blocked=True).tap()
    session = PosSession(receipt())
    with pytest.raises(ApplicationBlocked):
        agent.tap(session)
    assert session.state is State.FAILED
    assert fake_server.requests == 0


def test_a_foreign_card_is_named_and_the_till_stays_ready(fake_server, make_card, make_agent,
                                                          member_card, receipt):
    agent = make_agent()
    foreign = make_card("foreign").tap()
    session = PosSession(receipt())
    with pytest.raises(ForeignCard, match="foreign card"):
        agent.tap(session)
    assert session.state is State.IDLE
    foreign.remove()
    agent.reader.wait_for_removal(timeout=5)
    member_card().tap()
    assert agent.tap(session).display_name == "Ada Lovelace"


def test_a_card_torn_away_mid_tap_leaves_nothing_half_done(member_card, make_agent, fake_server,
                                                           receipt):
    agent = make_agent()
    member_card(drop_after=3).tap()  # SELECT, GET DATA, then torn at INTERNAL AUTHENTICATE
    session = PosSession(receipt())
    with pytest.raises(CardRemoved, match="tap again"):
        agent.tap(session)
    assert session.state is State.IDLE and session.card is None  # ready for the tap asked for
    assert fake_server.sessions == {} and fake_server.accruals == []


def test_a_uid_only_card_earns_but_cannot_pay_without_a_pin(fake_server, make_card, make_agent,
                                                           receipt):
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    agent = make_agent()
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    session = PosSession(receipt())
    assert agent.tap(session).display_name == "Grace Hopper"
    agent.give_basket(session, LINES)
    with pytest.raises(Exception, match="PIN"):
        agent.pay_with_points(session, 100)
    session = PosSession(receipt())
    agent.tap(session, pin="1234")
    agent.give_basket(session, LINES)
    agent.pay_with_points(session, 100)
    agent.accrue(session)
    assert fake_server.points_of("M2") == 300 - 100 + 11


def test_a_failed_capture_voids_the_hold(sale_at_basket, fake_server, monkeypatch):
    agent, session = sale_at_basket

    def refuse(hold_id, **kwargs):
        raise ApiError("The hold cannot be captured.", status=409, error="hold_lapsed")

    monkeypatch.setattr(agent.api, "capture_hold", refuse)
    with pytest.raises(ApiError):
        agent.pay_with_points(session, 200)
    assert session.state is State.FAILED and session.hold is None
    assert [hold["state"] for hold in fake_server.holds.values()] == ["voided"]
    assert fake_server.points_of("M1") == 500


def test_offline_the_card_vouches_for_the_sale_and_it_is_posted_once_later(
        member_card, make_agent, fake_server, receipt):
    agent = make_agent()
    fake_server.down = True
    member_card().tap()
    session = PosSession(receipt())
    assert agent.tap(session) is None
    assert session.offline and session.offline_proof["counter"] >= 1_700_000_000_000  # the till's clock, in ms
    agent.give_basket(session, LINES)
    with pytest.raises(RedemptionNeedsServer):
        agent.pay_with_points(session, 10)
    assert agent.accrue(session) is None and session.queued
    assert len(agent.outbox.pending()) == 1
    fake_server.down = False
    report = agent.flush_outbox()
    assert (report.sent, report.left) == (1, 0)
    assert agent.flush_outbox().sent == 0
    assert len(fake_server.accruals) == 1 and fake_server.points_of("M1") == 511


def test_a_till_the_server_does_not_accept_keeps_the_sale_for_when_it_is_put_right(
        member_card, make_agent, fake_server, receipt):
    agent = make_agent()
    fake_server.key_id = "another-key"  # this till's key revoked (or its clock off): every request 401
    member_card().tap()
    session = PosSession(receipt())
    assert agent.tap(session) is None
    assert session.offline and session.offline_proof["counter"] >= 1_700_000_000_000
    assert session.offline_reason == ("The loyalty server does not accept this till now (unknown terminal "
                                      "credential). Call support.")
    agent.give_basket(session, LINES)
    assert agent.accrue(session) is None and session.queued
    fake_server.key_id = agent.config.key_id  # put right
    assert agent.flush_outbox().sent == 1
    assert len(fake_server.accruals) == 1 and fake_server.points_of("M1") == 511


def test_a_wrong_pin_with_the_tap_leaves_the_sale_to_earn_and_is_not_taken_for_a_till_the_server_refuses(
        fake_server, make_card, make_agent, receipt):
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    session = PosSession(receipt())
    agent = make_agent()
    assert agent.tap(session, pin="9999").display_name == "Grace Hopper"
    assert (session.state, session.offline, session.can_redeem, session.pin_refused) == (
        State.AUTHENTICATED, False, False, "wrong PIN")
    agent.give_basket(session, LINES)
    with pytest.raises(SessionError, match="PIN"):
        agent.pay_with_points(session, 100)
    assert agent.accrue(session)["points"] == 11 and fake_server.points_of("M2") == 311


def test_a_chip_card_tapped_with_a_wrong_pin_answers_a_new_challenge_and_earns(fake_server, make_card, make_agent,
                                                                                receipt):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1", pin="1234")).tap()
    session = PosSession(receipt())
    agent = make_agent()
    agent.tap(session, pin="9999")
    assert (session.state, session.can_redeem, session.pin_refused) == (State.AUTHENTICATED, False, "wrong PIN")
    assert fake_server.requests == 4  # a second challenge and session: the refused session used the first up
    agent.give_basket(session, LINES)
    assert agent.accrue(session)["points"] == 11


def test_a_card_the_server_has_blocked_is_refused_with_the_servers_words(fake_server, make_card,
                                                                         make_agent, receipt):
    fake_server.add_member("M1")
    key = fake_server.add_card("6280001234567890", "M1", blocked=True)
    make_card(card_key=key).tap()
    session = PosSession(receipt())
    with pytest.raises(ApiError) as raised:
        make_agent().tap(session)
    assert (raised.value.error, session.state) == ("card_blocked", State.FAILED)
    assert session.message == "This card is blocked."


def test_an_open_sale_must_be_finished_before_the_next(member_card, make_agent, receipt):
    from terminal.pos_interface import PosInterface

    member_card().tap()
    interface = PosInterface(make_agent())
    interface.handle({"cmd": "start", "receipt": receipt()})
    interface.handle({"cmd": "tap", "timeout": 5})
    refused = interface.handle({"cmd": "refund", "receipt": "X", "occurred_at":
                                "2026-11-23T12:00:00+00:00", "lines": []})
    assert (refused["ok"], refused["error"]) == (False, "SessionError")
    assert interface.handle({"cmd": "cancel"})["state"] == "failed"
    assert interface.handle({"cmd": "start", "receipt": receipt()})["ok"]


def test_a_payment_with_points_the_server_refuses_leaves_the_sale_open_to_pay_less(sale_at_basket, fake_server):
    agent, session = sale_at_basket  # the till saw 500 points
    fake_server.members["M1"]["available"] = 100  # spent online meanwhile
    with pytest.raises(ApiError, match="Not enough points"):
        agent.pay_with_points(session, 200)
    assert session.state is State.BASKET and session.hold is None
    assert all(hold["state"] != "open" for hold in fake_server.holds.values())
    agent.pay_with_points(session, 100)
    agent.accrue(session)
    assert session.state is State.DONE and fake_server.accruals[-1]["paid_with_points_minor"] == 100


def test_offline_a_uid_only_card_earns_later_without_a_member_shown(fake_server, make_card, make_agent, receipt):
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    agent = make_agent()
    fake_server.down = True
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    session = PosSession(receipt())
    assert agent.tap(session, pin="1234") is None
    assert session.offline and not session.can_redeem and session.offline_proof is None
    agent.give_basket(session, LINES)
    assert agent.accrue(session) is None and session.queued
    fake_server.down = False
    assert agent.flush_outbox().sent == 1
    assert fake_server.accruals[0]["card_uid"] == "04A1B2C3D4E5F6"
    assert fake_server.points_of("M2") == 311


def test_an_accrual_the_server_refuses_fails_the_sale_with_its_words_and_is_set_aside(sale_at_basket, fake_server):
    agent, session = sale_at_basket
    fake_server.sessions.clear()  # the card session has gone on the server meanwhile
    with pytest.raises(ApiError, match="The card session has expired."):
        agent.accrue(session)
    assert session.state is State.FAILED and session.message == "The card session has expired."
    assert [entry.status for entry in agent.outbox.entries()] == ["rejected"]
    assert fake_server.points_of("M1") == 500


def test_a_hold_that_cannot_be_voided_is_left_to_lapse_on_the_server_and_the_sale_fails(
        sale_at_basket, fake_server, monkeypatch):
    agent, session = sale_at_basket

    def server_gone(hold_id, **kwargs):
        fake_server.down = True
        raise ApiUnreachable("The loyalty server cannot be reached (ConnectionError).")

    monkeypatch.setattr(agent.api, "capture_hold", server_gone)
    with pytest.raises(ApiUnreachable):
        agent.pay_with_points(session, 200)
    assert session.state is State.FAILED and session.hold is None
    assert [hold["state"] for hold in fake_server.holds.values()] == ["open"]  # it lapses there


def test_a_uid_only_card_pays_with_points_once_the_member_types_the_pin_after_the_tap(
        fake_server, make_card, make_agent, receipt):
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    agent = make_agent()
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    session = PosSession(receipt())
    agent.tap(session)
    agent.give_basket(session, LINES)
    with pytest.raises(ApiError, match="wrong PIN"):
        agent.give_pin(session, "9999")
    assert (session.state, session.can_redeem) == (State.BASKET, False)  # the sale goes on, earning
    assert agent.give_pin(session, "1234") is True
    agent.pay_with_points(session, 100)
    agent.accrue(session)
    assert fake_server.points_of("M2") == 300 - 100 + 11


def test_a_chip_card_asked_for_the_pin_answers_a_new_challenge_with_it(fake_server, make_card, make_agent,
                                                                       receipt):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    card = make_card(card_key=fake_server.add_card("6280001234567890", "M1", pin="2468"))
    card.tap()
    agent = make_agent()
    session = PosSession(receipt())
    assert agent.tap(session).display_name == "Ada Lovelace" and not session.can_redeem
    first_session = session.card_session
    assert agent.give_pin(session, "2468") is True and session.card_session != first_session
    with pytest.raises(SessionError, match="no PIN is needed"):
        agent.give_pin(session, "2468")
    agent.give_basket(session, LINES)
    agent.pay_with_points(session, 100)
    agent.accrue(session)
    assert fake_server.points_of("M1") == 500 - 100 + 11


def test_the_pin_is_not_taken_for_another_card_put_on_the_reader(fake_server, make_card, make_agent, receipt):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    ada = make_card(card_key=fake_server.add_card("6280001234567890", "M1", pin="2468"))
    grace = make_card(card_number="6280009999999990", card_key=fake_server.add_card("6280009999999990", "M2"))
    agent = make_agent()
    ada.tap()
    session = PosSession(receipt())
    agent.tap(session)
    ada.remove()
    agent.reader.wait_for_removal(timeout=5)
    grace.tap()
    agent.reader.wait_for_card(timeout=5)
    with pytest.raises(SessionError, match="Another card is on the reader"):
        agent.give_pin(session, "2468")
    assert (session.state, session.can_redeem) == (State.AUTHENTICATED, False)


def test_a_sale_called_off_after_paying_with_points_gives_the_points_back(sale_at_basket, fake_server):
    agent, session = sale_at_basket
    hold = agent.pay_with_points(session, 200)
    assert agent.cancel(session) == 200
    assert (session.state, session.paid) == (State.FAILED, None)
    assert session.message == "Sale cancelled. The 200 points paid were given back to the member."
    assert fake_server.holds[hold.hold_id]["state"] == "returned" and fake_server.points_of("M1") == 500


def test_without_the_server_a_payment_to_give_back_waits_in_the_outbox_for_the_next_flush(sale_at_basket,
                                                                                           fake_server):
    agent, session = sale_at_basket
    agent.pay_with_points(session, 200)
    fake_server.down = True
    assert agent.cancel(session) is None
    assert "will be given back to the member once the loyalty server can be reached" in session.message
    assert [entry.kind for entry in agent.outbox.pending()] == ["payment_return"]
    fake_server.down = False
    assert agent.flush_outbox().sent == 1
    assert fake_server.points_of("M1") == 500 and not fake_server.accruals


def test_a_payment_the_server_will_not_give_back_is_said_with_the_sale_cancelled(sale_at_basket, fake_server):
    agent, session = sale_at_basket
    hold = agent.pay_with_points(session, 200)
    fake_server.holds[hold.hold_id]["state"] = "returned"  # given back already (by support, say)
    with pytest.raises(ApiError, match="Sale cancelled. The 200 points paid were not given back: hold H1 was "
                                       "returned"):
        agent.cancel(session)
    assert session.state is State.FAILED and agent.outbox.pending() == []


def test_a_sale_that_has_earned_is_not_called_off_but_returned_by_receipt(sale_at_basket, fake_server):
    agent, session = sale_at_basket
    agent.pay_with_points(session, 200)
    agent.accrue(session)
    with pytest.raises(SessionError, match="Return its goods by receipt"):
        agent.cancel(session)
    assert session.state is State.DONE
    assert fake_server.points_of("M1") == 500 - 200 + 11 and agent.outbox.pending() == []


def test_the_pos_hears_how_many_points_a_cancelled_sale_gave_back(member_card, make_agent, fake_server, receipt):
    from terminal.pos_interface import PosInterface

    member_card().tap()
    interface = PosInterface(make_agent())
    interface.handle({"cmd": "start", "receipt": receipt()})
    interface.handle({"cmd": "tap", "timeout": 5})
    interface.handle({"cmd": "basket", "lines": LINES})
    assert interface.handle({"cmd": "pay_points", "points": 150})["ok"]
    cancelled = interface.handle({"cmd": "cancel"})
    assert (cancelled["ok"], cancelled["state"], cancelled["points_returned"]) == (True, "failed", 150)
    assert fake_server.points_of("M1") == 500


def test_a_server_lost_between_the_challenge_and_the_card_session_leaves_the_sale_to_earn_offline(
        member_card, make_agent, fake_server, receipt):
    agent = make_agent()
    # the card session is opened, but its answer comes after the till stopped waiting
    fake_server.stall_on, fake_server.commit_then_stall, fake_server.stall_seconds = "/card-sessions", 1, 1.5
    member_card().tap()
    session = PosSession(receipt())
    assert agent.tap(session) is None
    assert session.offline and session.offline_proof["card_number"] == "6280001234567890"
    assert session.offline_reason.startswith("The loyalty server did not answer within")
    agent.give_basket(session, LINES)
    assert agent.accrue(session)["points"] == 11  # the server is back: the card's offline answer vouches
    assert fake_server.points_of("M1") == 511


def test_a_wrong_pin_with_the_tap_and_then_no_server_leaves_the_card_to_vouch_offline(fake_server, make_card,
                                                                                      make_agent, receipt):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1", pin="1234")).tap()
    agent = make_agent()
    first_challenge = agent.api.card_challenge

    def then_gone(card_number):
        agent.api.card_challenge = lambda number: (_ for _ in ()).throw(ApiUnreachable("The loyalty server is gone."))
        return first_challenge(card_number)
    agent.api.card_challenge = then_gone
    session = PosSession(receipt())
    assert agent.tap(session, pin="9999") is None
    assert session.offline and session.offline_proof["card_number"] == "6280001234567890"
