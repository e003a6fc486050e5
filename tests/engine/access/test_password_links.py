"""Password links: a member who has never had a password (enrolled at the till, imported) or
forgot it asks by e-mail, the mailer sends the link, the link sets the password once; nobody
learns from asking whether an address is a member's."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.access.member_logins import (invite_member, invite_segment, member_principal, send_password_link,
                                         set_member_password, set_password_with_link, sign_in_member,
                                         sign_up_member)
from engine.access.passwords import Passwords
from engine.errors import InvalidInput, InvalidState, NotAuthenticated, NotFound
from engine.member_closure import CloseMember, close_member
from engine.members import get_member
from engine.messages import mark_delivered, pending_messages
from engine.rules.segments import create_segment
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged
from tests.support.password_links import sent_link

PASSWORDS = Passwords.cheap()
NEW = "a new long passphrase"


def test_a_member_without_a_password_asks_for_a_link_and_sets_one(database, clock, make_member):
    ada = make_member(email="ada@example.org")
    send_password_link(database, " Ada@Example.org ", now=clock())
    [message] = pending_messages(database)
    assert (message.kind, message.member_id, message.email, message.payload["purpose"]) == (
        "password_link", ada.public_id, "ada@example.org", "reset")
    assert message.payload["path"].startswith("/portal/set-password?link=")
    assert set_password_with_link(database, sent_link(database), NEW, passwords=PASSWORDS, now=clock()) \
        == ada.public_id
    assert sign_in_member(database, email="ada@example.org", password=NEW, passwords=PASSWORDS,
                          now=clock()).member_id == ada.public_id


def test_an_address_that_is_no_members_gets_the_same_silence_and_nothing_is_written(database, clock, make_member):
    make_member(email="ada@example.org")
    with database.transaction() as session:
        before = session.scalar(sa.text("SELECT COUNT(*) FROM outbox_messages"))
    assert send_password_link(database, "nobody@example.org", now=clock()) is None
    with database.transaction() as session:
        assert session.scalar(sa.text("SELECT COUNT(*) FROM outbox_messages")) == before


def test_a_link_works_once_and_not_after_its_hour(database, clock, make_member):
    make_member(email="ada@example.org")
    send_password_link(database, "ada@example.org", now=clock())
    link = sent_link(database)
    set_password_with_link(database, link, NEW, passwords=PASSWORDS, now=clock())
    with refused_unchanged(database, NotAuthenticated, "invalid_link"):
        set_password_with_link(database, link, "another long passphrase", passwords=PASSWORDS, now=clock())
    send_password_link(database, "ada@example.org", now=clock())
    late = sent_link(database)
    with refused_unchanged(database, NotAuthenticated, "invalid_link"):
        set_password_with_link(database, late, NEW, passwords=PASSWORDS, now=clock() + timedelta(hours=1))


def test_a_new_link_replaces_the_earlier_one_and_its_unsent_message(database, clock, make_member):
    make_member(email="ada@example.org")
    send_password_link(database, "ada@example.org", now=clock())
    first = sent_link(database)
    send_password_link(database, "ada@example.org", now=clock())
    assert len([m for m in pending_messages(database) if m.kind == "password_link"]) == 1
    with refused_unchanged(database, NotAuthenticated, "invalid_link"):
        set_password_with_link(database, first, NEW, passwords=PASSWORDS, now=clock())
    set_password_with_link(database, sent_link(database), NEW, passwords=PASSWORDS, now=clock())


def test_setting_the_password_spends_the_link_and_ends_other_sessions(database, clock, make_member):
    ada = make_member(email="ada@example.org")
    send_password_link(database, "ada@example.org", now=clock())
    link = sent_link(database)
    set_member_password(database, ada.public_id, "the old long passphrase", passwords=PASSWORDS, now=clock())
    with refused_unchanged(database, NotAuthenticated, "invalid_link"):
        set_password_with_link(database, link, NEW, passwords=PASSWORDS, now=clock())
    thief = sign_in_member(database, email="ada@example.org", password="the old long passphrase",
                           passwords=PASSWORDS, now=clock())
    send_password_link(database, "ada@example.org", now=clock())
    set_password_with_link(database, sent_link(database), NEW, passwords=PASSWORDS, now=clock())
    with pytest.raises(NotAuthenticated):
        member_principal(database, thief.token, now=clock())  # signed out by the new password
    with pytest.raises(NotAuthenticated):
        sign_in_member(database, email="ada@example.org", password="the old long passphrase", passwords=PASSWORDS,
                       now=clock())


def test_a_weak_password_or_a_malformed_link_is_refused(database, clock, make_member):
    make_member(email="ada@example.org")
    send_password_link(database, "ada@example.org", now=clock())
    with refused_unchanged(database, InvalidInput):
        set_password_with_link(database, sent_link(database), "short", passwords=PASSWORDS, now=clock())
    for link in ("", "x", "y" * 101, None):
        with refused_unchanged(database, NotAuthenticated, "invalid_link"):
            set_password_with_link(database, link, NEW, passwords=PASSWORDS, now=clock())


def test_support_invites_a_member_for_a_week_but_not_one_without_an_address_or_closed(database, clock, make_member):
    ada, nameless, gone = make_member(email="ada@example.org"), make_member(email=None), make_member()
    expires = invite_member(database, ada.public_id, now=clock())
    assert expires == clock() + timedelta(days=7)
    assert pending_messages(database)[-1].payload["purpose"] == "invitation"
    set_password_with_link(database, sent_link(database), NEW, passwords=PASSWORDS, now=clock() + timedelta(days=6))
    with refused_unchanged(database, InvalidState, "no_email"):
        invite_member(database, nameless.public_id, now=clock())
    close_member(database, CloseMember(gone.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, InvalidState, "member_closed"):
        invite_member(database, gone.public_id, now=clock())


def test_a_link_sent_before_the_account_closed_sets_nothing(database, clock, make_member):
    gone = make_member(email="gone@example.org")
    send_password_link(database, "gone@example.org", now=clock())
    link = sent_link(database)
    close_member(database, CloseMember(gone.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    assert [m for m in pending_messages(database) if m.kind == "password_link"] == []
    with refused_unchanged(database, NotAuthenticated, "invalid_link"):
        set_password_with_link(database, link, NEW, passwords=PASSWORDS, now=clock())


def test_the_links_secret_is_forgotten_once_the_mailer_marks_it_sent(database, clock, make_member):
    make_member(email="ada@example.org")
    send_password_link(database, "ada@example.org", now=clock())
    [message] = pending_messages(database)
    link = sent_link(database)
    assert mark_delivered(database, [message.id], now=clock()) == 1
    with database.transaction() as session:
        payload = json.loads(session.scalar(sa.text("SELECT payload FROM outbox_messages WHERE id = :id"),
                                            {"id": message.id}))
    assert payload["path"] is None and payload["purpose"] == "reset"
    assert link not in json.dumps(payload)
    set_password_with_link(database, link, NEW, passwords=PASSWORDS, now=clock())  # the member's e-mail has it


def test_a_segment_is_invited_all_but_those_with_a_password_or_no_address(database, clock, make_member):
    with_password, without, nameless, other = (make_member(email="a@example.org"), make_member(email="b@example.org"),
                                               make_member(email=None), make_member(email="d@example.org"))
    set_member_password(database, with_password.public_id, NEW, passwords=PASSWORDS, now=clock())
    create_segment(database, code="moved", member_ids=[m.public_id for m in (with_password, without, nameless)],
                   now=clock())
    assert invite_segment(database, "moved", now=clock()) == 1
    assert [(m.member_id, m.payload["purpose"]) for m in pending_messages(database)] == [
        (without.public_id, "invitation")]
    assert other.public_id not in {m.member_id for m in pending_messages(database)}
    with refused_unchanged(database, NotFound):
        invite_segment(database, "nobody", now=clock())


def test_a_person_joins_online_and_sets_a_password_with_the_link_sent_to_them(database, clock):
    sign_up_member(database, full_name="Ada Lovelace", email=" Ada@Example.org ", consents={"marketing_email": True},
                   now=clock())
    [message] = pending_messages(database)
    assert (message.email, message.full_name, message.payload["purpose"]) == ("ada@example.org", "Ada Lovelace",
                                                                              "welcome")
    member_id = set_password_with_link(database, sent_link(database), NEW, passwords=PASSWORDS, now=clock())
    assert get_member(database, member_id).consents["marketing_email"] is True
    assert sign_in_member(database, email="ada@example.org", password=NEW, passwords=PASSWORDS,
                          now=clock()).member_id == member_id


def test_joining_with_a_members_address_enrols_no_one_and_sends_that_member_a_link(database, clock, make_member):
    ada = make_member(email="ada@example.org")
    sign_up_member(database, full_name="Someone Else", email="ada@example.org", now=clock())
    assert [(m.member_id, m.full_name, m.payload["purpose"]) for m in pending_messages(database)] == [
        (ada.public_id, ada.full_name, "reset")]  # not a welcome: the mail tells the member what happened
    with database.transaction() as session:
        assert session.scalar(sa.text("SELECT COUNT(*) FROM members")) == 1


def test_joining_without_an_address_or_with_a_bad_one_is_refused_naming_the_field(database, clock):
    for email, name in (("", "Ada"), ("not-an-address", "Ada"), ("ada@example.org", "")):
        with refused_unchanged(database, InvalidInput) as refusal:
            sign_up_member(database, full_name=name, email=email, now=clock())
        assert [p.field for p in refusal.value.problems] == ["email" if email != "ada@example.org" else "full_name"]
