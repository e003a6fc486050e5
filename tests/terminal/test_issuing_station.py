"""Issuing a card: staff asks the server for a number and key, the station writes the card."""
import pytest

from terminal.errors import ApiError, PersonalisationLocked
from terminal.issuing import issue_card
from terminal.session import PosSession


def test_staff_issue_a_blank_card_that_then_works_at_the_till(fake_server, make_card,
                                                              make_agent, receipt):
    fake_server.add_member("M7", "Alan Turing", "bronze", points=0)
    agent = make_agent()
    make_card(blank=True).tap()
    issued = issue_card(agent.api, agent.reader, username="clerk", password="clerk-password",
                        member_id="M7", timeout=5)
    assert fake_server.cards[issued.card_number]["member_id"] == "M7"
    session = PosSession(receipt())
    assert agent.tap(session).display_name == "Alan Turing"


def test_an_issued_card_cannot_be_written_again(fake_server, make_card, make_agent):
    fake_server.add_member("M7")
    agent = make_agent()
    make_card(card_key=bytes(16)).tap()
    with pytest.raises(PersonalisationLocked, match="already issued"):
        issue_card(agent.api, agent.reader, username="clerk", password="clerk-password",
                   member_id="M7", timeout=5)
    assert len(fake_server.cards) == 0


def test_wrong_staff_credentials_issue_nothing(fake_server, make_card, make_agent):
    agent = make_agent()
    make_card(blank=True).tap()
    with pytest.raises(ApiError, match="Wrong user name"):
        issue_card(agent.api, agent.reader, username="clerk", password="guess", member_id="M7",
                   timeout=5)
    assert fake_server.cards == {}
