import pytest

from engine.access.member_logins import check_member_pin, set_member_password, set_member_pin, sign_in_member
from engine.access.passwords import Passwords
from engine.errors import InvalidInput
from engine.members import member_row
from engine.orm.access import MemberLoginRow

CHEAP = Passwords.cheap()


def check(database, member, pin, clock):
    with database.transaction() as session:
        return check_member_pin(session, member_row(session, member.public_id).id, pin, passwords=CHEAP, now=clock())


@pytest.mark.parametrize("pin", ["123", "12345", "abcd", "12 34", "1234567"])
def test_a_pin_that_is_not_four_or_six_digits_is_refused_and_nothing_is_stored(database, make_member, pin, clock):
    member = make_member()
    with pytest.raises(InvalidInput) as refused:
        set_member_pin(database, member.public_id, pin, passwords=CHEAP, now=clock())
    assert [p.field for p in refused.value.problems] == ["pin"]
    with database.transaction() as session:
        assert session.get(MemberLoginRow, member_row(session, member.public_id).id) is None


def test_a_pin_is_stored_hashed_and_checked(database, make_member, clock):
    member = make_member()
    set_member_pin(database, member.public_id, "123456", passwords=CHEAP, now=clock())
    with database.transaction() as session:
        stored = session.get(MemberLoginRow, member_row(session, member.public_id).id).pin_hash
    assert stored.startswith("$argon2id$") and "123456" not in stored
    assert check(database, member, "123456", clock) is None
    assert check(database, member, "654321", clock).code == "wrong_credentials"


def test_a_member_without_a_pin_is_told_to_set_one(database, make_member, clock):
    assert check(database, make_member(), "1234", clock).code == "no_pin"


def test_five_wrong_pins_lock_the_pin_but_not_the_password(database, make_member, clock):
    member = make_member()
    set_member_pin(database, member.public_id, "4711", passwords=CHEAP, now=clock())
    set_member_password(database, member.public_id, "correct horse battery", passwords=CHEAP, now=clock())
    codes = [check(database, member, "0000", clock).code for _ in range(5)]
    assert codes == ["wrong_credentials"] * 4 + ["locked_out"]
    assert check(database, member, "4711", clock).code == "locked_out"
    assert sign_in_member(database, email=member.email, password="correct horse battery", passwords=CHEAP,
                          now=clock()).member_id == member.public_id


def test_setting_a_new_pin_clears_the_lockout(database, make_member, clock):
    member = make_member()
    set_member_pin(database, member.public_id, "4711", passwords=CHEAP, now=clock())
    for _ in range(5):
        check(database, member, "0000", clock)
    set_member_pin(database, member.public_id, "8080", passwords=CHEAP, now=clock())
    assert check(database, member, "8080", clock) is None


def test_a_password_change_with_a_wrong_current_password_changes_nothing(database, make_member, clock):
    member = make_member()
    set_member_password(database, member.public_id, "correct horse battery", passwords=CHEAP, now=clock())
    with pytest.raises(InvalidInput):
        set_member_password(database, member.public_id, "another passphrase", passwords=CHEAP, now=clock(),
                            current_password="guess guess guess", require_current=True)
    assert sign_in_member(database, email=member.email, password="correct horse battery", passwords=CHEAP,
                          now=clock())
