"""The POS's ``accrue`` answer shows the member as they stand after the sale, not as the tap
read them: the points paid are gone, the points earned are there (pending while the server
says they are not available yet). Fake server; the card session opened as a UID card's."""
from datetime import timedelta

import pytest

from tests.terminal.conftest import READERLESS_NOW as NOW
from terminal.session import CardRef, Member

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700}]


@pytest.fixture
def interface(readerless_pos):
    return readerless_pos


def tapped(fake_server, interface):
    """A sale started and the member's card session opened (500 points, may pay with them)."""
    fake_server.add_member("M1", "Ada Lovelace", points=500)
    fake_server.add_uid("04AABBCCDD", "M1", pin="1234")
    interface.handle({"cmd": "start", "receipt": "R-1"})
    opened = interface.agent.api.card_session(card_uid="04AABBCCDD", pin="1234")
    interface.session.card_presented(CardRef(uid="04AABBCCDD"))
    interface.session.authenticated(member=Member.from_api(opened["member"]), card_session=opened["card_session"],
                                    can_redeem=True)


def test_the_accrue_answer_shows_the_points_paid_gone_and_the_points_earned_there(fake_server, interface):
    tapped(fake_server, interface)
    interface.handle({"cmd": "basket", "lines": LINES})
    assert interface.handle({"cmd": "pay_points", "points": 200})["ok"]
    answer = interface.handle({"cmd": "accrue"})
    assert (answer["points"], answer["balance"]) == (7, 307)
    assert (answer["member"]["available"], answer["member"]["pending"]) == (307, 0)


def test_points_earned_that_are_not_available_yet_show_as_pending(fake_server, interface, monkeypatch):
    tapped(fake_server, interface)
    accrue = interface.agent.api.accrue
    monkeypatch.setattr(interface.agent.api, "accrue", lambda body, key: dict(
        accrue(body, key), available_at=(NOW + timedelta(days=14)).isoformat()))
    interface.handle({"cmd": "basket", "lines": LINES})
    assert interface.handle({"cmd": "pay_points", "points": 200})["ok"]
    answer = interface.handle({"cmd": "accrue"})
    assert (answer["member"]["available"], answer["member"]["pending"]) == (300, 7)
