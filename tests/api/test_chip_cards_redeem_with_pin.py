"""A programme may ask our chip cards for the member's PIN to pay with points: without it, a
tapped card earns but cannot pay (a lost or stolen card is worth nothing until blocked); with
it, the session pays; a wrong one is refused and counted. By default the chip alone pays."""
from datetime import timedelta

import pytest

from engine.access.member_logins import set_member_pin
from engine.settings import update_settings
from tests.api.conftest import PASSWORDS, answer_for

HOLDS = "/v1/terminal/holds"


@pytest.fixture
def card_with_pin(database, clock, make_our_card, make_member, earn):
    member = make_member()
    earn(member, 50000, occurred_at=clock() - timedelta(days=30))  # spendable now
    set_member_pin(database, member.public_id, "4711", passwords=PASSWORDS, now=clock())
    return make_our_card(member)


def hold(terminal, session: dict):
    return terminal.post(HOLDS, {"card_session": session["card_session"], "receipt_number": "R1", "points": 100})


def test_by_default_the_chip_alone_pays(terminal, card_with_pin, card_session):
    session = card_session(card_with_pin)
    assert session["can_redeem"] and hold(terminal, session).status_code == 201


def test_asked_for_a_pin_a_card_tapped_without_it_earns_but_cannot_pay(terminal, card_with_pin, card_session,
                                                                       database, clock):
    update_settings(database, {"chip_cards_redeem_with_pin": True}, now=clock())
    session = card_session(card_with_pin)
    refused = hold(terminal, session)
    assert not session["can_redeem"]
    assert (refused.status_code, refused.json["error"]) == (403, "pin_required")


def test_asked_for_a_pin_a_card_tapped_with_the_right_one_pays(terminal, card_with_pin, card_session, database,
                                                               clock):
    update_settings(database, {"chip_cards_redeem_with_pin": True}, now=clock())
    session = card_session(card_with_pin, pin="4711")
    assert session["can_redeem"] and hold(terminal, session).status_code == 201


def test_a_wrong_pin_refuses_the_tap_and_counts_toward_the_lockout(terminal, card_with_pin):
    codes = []
    for _ in range(5):
        challenge = terminal.post("/v1/terminal/card-challenges", {"card_number": card_with_pin.number}, key=None).json
        answer = answer_for(card_with_pin.number, bytes.fromhex(challenge["challenge"]))
        response = terminal.post("/v1/terminal/card-sessions", {"challenge_id": challenge["challenge_id"],
                                                                "answer": answer.hex(), "pin": "0000"}, key=None)
        codes.append((response.status_code, response.json["error"]))
    assert codes == [(401, "wrong_credentials")] * 4 + [(401, "locked_out")]
