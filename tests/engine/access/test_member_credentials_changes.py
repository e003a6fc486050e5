"""Changing a member's password or PIN: the member is told, the password confirms a PIN set by
the member, guesses of the current password count toward the lockout, and a member's address
gets at most a few reset links an hour."""
import pytest

from engine.access.member_logins import (LINKS_PER_HOUR, send_password_link, set_member_password, set_member_pin,
                                         set_password_with_link, sign_in_member, sign_up_member)
from engine.access.passwords import Passwords
from engine.errors import InvalidInput, NotAuthenticated
from engine.messages import mark_delivered, pending_messages
from tests.support.password_links import sent_link

CHEAP = Passwords.cheap()
OLD, NEW = "the old passphrase", "a brand new passphrase"


def notices(database) -> list[dict]:
    return [m.payload for m in pending_messages(database) if m.kind == "credentials_changed"]


@pytest.fixture
def member(database, make_member, clock):
    member = make_member(email="ada@example.org")
    set_member_password(database, member.public_id, OLD, passwords=CHEAP, now=clock())
    return member


def test_a_first_password_tells_nothing_and_every_change_after_tells_the_member(database, make_member, clock):
    ada = make_member(email="ada@example.org")
    set_member_password(database, ada.public_id, OLD, passwords=CHEAP, now=clock())
    assert notices(database) == []
    clock.advance(minutes=1)
    set_member_password(database, ada.public_id, NEW, passwords=CHEAP, now=clock(), current_password=OLD,
                        require_current=True)
    assert notices(database) == [{"what": "password", "at": clock().isoformat()}]


def test_a_password_reset_by_link_tells_the_member(database, member, clock):
    send_password_link(database, "ada@example.org", now=clock())
    set_password_with_link(database, sent_link(database), NEW, passwords=CHEAP, now=clock())
    assert [notice["what"] for notice in notices(database)] == ["password"]


def test_every_pin_set_tells_the_member(database, member, clock):
    set_member_pin(database, member.public_id, "4711", passwords=CHEAP, now=clock())
    clock.advance(minutes=1)
    set_member_pin(database, member.public_id, "8080", passwords=CHEAP, now=clock(), password=OLD,
                   require_password=True)
    assert [notice["what"] for notice in notices(database)] == ["pin", "pin"]
    assert {m.member_id for m in pending_messages(database)} == {member.public_id}


def test_a_pin_set_by_the_member_needs_their_password_named_as_the_field(database, member, clock):
    with pytest.raises(InvalidInput) as refused:
        set_member_pin(database, member.public_id, "4711", passwords=CHEAP, now=clock(), password="a guess",
                       require_password=True)
    assert [problem.field for problem in refused.value.problems] == ["password"]
    assert notices(database) == []


def test_guesses_of_the_current_password_lock_the_member_out_as_sign_in_guesses_do(database, member, clock):
    for _ in range(4):
        with pytest.raises(InvalidInput, match="the current password is wrong"):
            set_member_password(database, member.public_id, NEW, passwords=CHEAP, now=clock(),
                                current_password="a guess", require_current=True)
    with pytest.raises(InvalidInput):  # the fifth wrong guess, through the PIN page
        set_member_pin(database, member.public_id, "4711", passwords=CHEAP, now=clock(), password="a guess",
                       require_password=True)
    with pytest.raises(NotAuthenticated) as locked:
        sign_in_member(database, email="ada@example.org", password=OLD, passwords=CHEAP, now=clock())
    assert locked.value.code == "locked_out"


def test_an_address_gets_a_few_reset_links_an_hour_and_the_same_answer_after(database, member, clock):
    def links() -> list[int]:
        return [m.id for m in pending_messages(database) if m.kind == "password_link"]

    for n in range(LINKS_PER_HOUR):
        if n % 2:
            sign_up_member(database, full_name="Ada", email="ada@example.org", now=clock())  # gets one too
        else:
            send_password_link(database, "ada@example.org", now=clock())
        mark_delivered(database, links(), now=clock())  # the mailer sends it
        clock.advance(minutes=1)
    send_password_link(database, "ada@example.org", now=clock())
    sign_up_member(database, full_name="Ada", email="ada@example.org", now=clock())
    assert links() == []
    clock.advance(hours=1)
    send_password_link(database, "ada@example.org", now=clock())
    assert len(links()) == 1
