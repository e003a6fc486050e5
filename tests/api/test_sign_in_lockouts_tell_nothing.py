"""Whether an e-mail address is a member's, or a username a staff account's, cannot be learnt
from sign-in lockouts: a name nobody has locks out after as many wrong guesses as an
account's, for as long, with the same words; its counters are kept by the name's SHA-256
only, and forgotten after a quiet month."""
from datetime import timedelta

import sqlalchemy as sa

from engine.access.member_logins import set_member_password
from engine.access.staff import create_staff_account
from engine.access.sign_in_throttles import purge_sign_in_throttles
from engine.orm.access import SignInThrottleRow
from tests.api.conftest import PASSWORD, PASSWORDS


def sign_in(client, email, password="wrong password!"):
    return client.post("/v1/member/sessions", json={"email": email, "password": password})


def answers(client, email, count):
    return [(r.status_code, r.json) for r in (sign_in(client, email) for _ in range(count))]


def test_an_address_no_member_has_locks_out_like_a_members(client, database, make_member, clock):
    member = make_member(email="anna@example.org")
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())

    known, unknown = answers(client, "anna@example.org", 6), answers(client, "nobody@example.org", 6)

    assert known == unknown
    assert [body["error"] for _, body in unknown] == ["wrong_credentials"] * 4 + ["locked_out"] * 2
    clock.advance(minutes=16)
    assert answers(client, "anna@example.org", 1) == answers(client, "Nobody@Example.org", 1)


def test_the_counters_of_an_address_no_member_has_keep_no_address_and_are_forgotten_after_a_quiet_month(
        client, database, clock):
    answers(client, "nobody@example.org", 2)
    with database.transaction() as session:
        (kept,) = session.scalars(sa.select(SignInThrottleRow)).all()
        assert (kept.failures, len(kept.name_hash)) == (2, 64) and "nobody" not in kept.name_hash
    assert purge_sign_in_throttles(database, as_of=clock() + timedelta(days=29)) == 0
    assert purge_sign_in_throttles(database, as_of=clock() + timedelta(days=31)) == 1


def test_a_username_no_staff_account_has_locks_out_like_one_that_exists(client, database, clock):
    def staff_answers(username, count):
        return [(r.status_code, r.json) for r in (
            client.post("/v1/staff/sessions", json={"username": username, "password": "wrong password!"})
            for _ in range(count))]

    create_staff_account(database, username="sam", full_name="Sam", password=PASSWORD, roles=["support"],
                         passwords=PASSWORDS, now=clock())
    known, unknown = staff_answers("sam", 6), staff_answers("ghost", 6)
    assert known == unknown
    assert [body["error"] for _, body in unknown] == ["wrong_credentials"] * 4 + ["locked_out"] * 2
