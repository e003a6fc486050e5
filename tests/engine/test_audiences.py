"""Audiences: a segment's members who gave the channel's consent and have its address, and no
one else; page by page in a stable order; bad requests refused naming the field."""
import pytest

from engine.audiences import every_contact, segment_audience
from engine.errors import InvalidInput, NotFound
from engine.member_closure import CloseMember, close_member
from engine.members import update_profile
from engine.rules.segments import create_segment
from tests.conftest import new_key


def test_only_members_who_consented_and_have_the_address_are_listed(database, clock, make_member):
    yes = make_member(email="yes@example.org", phone="+49 30 1111111",
                      consents={"marketing_email": True, "marketing_sms": True})
    email_only = make_member(email="mail@example.org", consents={"marketing_email": True})
    no = make_member(email="no@example.org")
    gone = make_member(email="gone@example.org", consents={"marketing_email": True})
    outsider = make_member(email="out@example.org", consents={"marketing_email": True})
    create_segment(database, code="all", member_ids=[m.public_id for m in (yes, email_only, no, gone)], now=clock())
    close_member(database, CloseMember(gone.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    by_email = segment_audience(database, "all", channel="email")
    assert sorted((c.member_id, c.address) for c in by_email) == sorted(
        [(yes.public_id, "yes@example.org"), (email_only.public_id, "mail@example.org")])
    assert outsider.public_id not in {c.member_id for c in by_email}
    assert [(c.member_id, c.address) for c in segment_audience(database, "all", channel="sms")] == [
        (yes.public_id, "+49 30 1111111")]
    update_profile(database, yes.public_id, {"consents": {"marketing_email": False}}, now=clock())
    assert [c.member_id for c in segment_audience(database, "all", channel="email")] == [email_only.public_id]


def test_pages_hold_each_member_once_in_a_stable_order(database, clock, make_member):
    members = [make_member(consents={"marketing_email": True}) for _ in range(7)]
    create_segment(database, code="all", member_ids=[m.public_id for m in members], now=clock())
    first = segment_audience(database, "all", channel="email", limit=3)
    second = segment_audience(database, "all", channel="email", limit=3, after=first[-1].member_id)
    rest = list(every_contact(database, "all", channel="email"))
    assert [c.member_id for c in first + second] == sorted(m.public_id for m in members)[:6]
    assert [c.member_id for c in rest] == sorted(m.public_id for m in members)


@pytest.mark.parametrize("channel, limit, after, field", [
    ("fax", 10, None, "channel"), ("email", 0, None, "limit"), ("email", 1001, None, "limit"),
    ("email", 10, "", "after"), ("email", 10, "M" * 21, "after")])
def test_a_bad_request_is_refused_naming_the_field(database, clock, channel, limit, after, field):
    create_segment(database, code="all", member_ids=[], now=clock())
    with pytest.raises(InvalidInput) as refusal:
        segment_audience(database, "all", channel=channel, limit=limit, after=after)
    assert [p.field for p in refusal.value.problems] == [field]


def test_an_unknown_segment_is_not_found(database):
    with pytest.raises(NotFound):
        segment_audience(database, "nobody", channel="email")
