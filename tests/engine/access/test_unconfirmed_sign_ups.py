"""Online sign-ups whose address was never confirmed: thirty days after joining, with no
password set, no card and no posting, the nightly job closes them and erases what they gave,
and the address can join again; everyone else is left alone."""
from datetime import timedelta

import sqlalchemy as sa

from engine.access.member_logins import invite_member, set_password_with_link, sign_up_member
from engine.access.passwords import Passwords
from engine.cards import issue_card
from engine.jobs.runs import run_job
from engine.ledger.invariants import check_ledger
from engine.member_closure import ERASED_NAME, UNCONFIRMED_SIGN_UP_DAYS, close_unconfirmed_sign_ups
from engine.members import find_members, get_member
from engine.messages import pending_messages
from tests.support.password_links import sent_link

PASSWORDS = Passwords.cheap()


def join(database, clock, email: str) -> str:
    sign_up_member(database, full_name=email.split("@")[0].title(), email=email, now=clock())
    [member] = find_members(database, email)
    return member.public_id


def test_a_sign_up_never_confirmed_is_closed_after_thirty_days_and_its_data_erased(database, clock):
    member_id = join(database, clock, "ada@example.org")
    assert close_unconfirmed_sign_ups(database, as_of=clock() + timedelta(days=UNCONFIRMED_SIGN_UP_DAYS - 1)) == 0
    assert close_unconfirmed_sign_ups(database, as_of=clock() + timedelta(days=UNCONFIRMED_SIGN_UP_DAYS)) == 1
    closed = get_member(database, member_id)
    assert (closed.status, closed.full_name, closed.email) == ("closed", ERASED_NAME, None)
    assert pending_messages(database) == []  # the welcome link, unsent, went with it
    with database.transaction() as session:
        assert session.scalar(sa.text("SELECT COUNT(*) FROM member_attributes")) == 0
    assert close_unconfirmed_sign_ups(database, as_of=clock() + timedelta(days=60)) == 0
    assert check_ledger(database) == []


def test_the_address_of_a_closed_sign_up_can_join_again(database, clock):
    join(database, clock, "ada@example.org")
    clock.advance(days=UNCONFIRMED_SIGN_UP_DAYS)
    close_unconfirmed_sign_ups(database, as_of=clock())
    again = join(database, clock, "ada@example.org")
    assert get_member(database, again).status == "active"


def test_a_confirmed_a_carded_a_freshly_invited_or_a_non_online_member_is_left_alone(database, clock, make_member,
                                                                                     earn):
    confirmed = join(database, clock, "ada@example.org")
    set_password_with_link(database, sent_link(database), "a long passphrase", passwords=PASSWORDS, now=clock())
    carded = join(database, clock, "bo@example.org")
    issue_card(database, member_id=carded, kind="uid", number="04A1B2C3D4E5F6", now=clock())
    invited = join(database, clock, "cy@example.org")
    earned = join(database, clock, "di@example.org")
    at_the_till = make_member(email="ed@example.org")  # enrolled by a cashier: never had a link
    clock.advance(days=UNCONFIRMED_SIGN_UP_DAYS)
    earn(get_member(database, earned), 1000)
    invite_member(database, invited, now=clock())  # support sent a new link a moment ago: it is live
    assert close_unconfirmed_sign_ups(database, as_of=clock()) == 0
    assert {get_member(database, m).status for m in (confirmed, carded, invited, earned, at_the_till.public_id)} == {
        "active"}


def test_the_nightly_job_closes_them(database, clock):
    member_id = join(database, clock, "ada@example.org")
    clock.advance(days=UNCONFIRMED_SIGN_UP_DAYS)
    [run] = run_job(database, "unconfirmed_sign_ups", as_of=clock(), now=clock(), worker="test")
    assert run.summary == {"members": 1} and get_member(database, member_id).status == "closed"
