"""A card torn away mid-tap: the cashier is told to ask for another tap, and the sale takes
it, whichever of the tap's APDUs the card left at, online or offline. Real pcscd + virtual
card, fake server."""
import pytest

from terminal.errors import CardRemoved
from terminal.pos_interface import PosInterface
from terminal.session import PosSession, State

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700}]


@pytest.fixture
def member_card(fake_server, make_card):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    key = fake_server.add_card("6280001234567890", "M1")
    return lambda **hooks: make_card(card_key=key, **hooks)


@pytest.mark.parametrize("torn_at", [1, 2, 3])  # SELECT, GET DATA, INTERNAL AUTHENTICATE
def test_the_sale_takes_the_tap_asked_for_after_a_card_was_torn_away(member_card, make_agent, fake_server,
                                                                     receipt, torn_at):
    agent = make_agent()
    torn = member_card(drop_after=torn_at).tap()
    session = PosSession(receipt())
    with pytest.raises(CardRemoved, match="tap again"):
        agent.tap(session)
    torn.remove()
    agent.reader.wait_for_removal(timeout=5)
    member_card().tap()
    assert agent.tap(session).display_name == "Ada Lovelace"
    agent.give_basket(session, LINES)
    assert agent.accrue(session)["points"] == 7 and session.state is State.DONE


def test_an_offline_sale_takes_the_tap_asked_for_after_a_card_was_torn_away(member_card, make_agent,
                                                                            fake_server, receipt):
    fake_server.down = True
    agent = make_agent()
    interface = PosInterface(agent)
    interface.handle({"cmd": "start", "receipt": receipt()})
    torn = member_card(drop_after=3).tap()  # torn while answering the offline challenge
    answer = interface.handle({"cmd": "tap", "timeout": 5})
    assert (answer["ok"], answer["error"], answer["state"]) == (False, "CardRemoved", "idle")
    torn.remove()
    agent.reader.wait_for_removal(timeout=5)
    member_card().tap()
    answer = interface.handle({"cmd": "tap", "timeout": 5})
    assert answer["ok"] and answer["offline"]
