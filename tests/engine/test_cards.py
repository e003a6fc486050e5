import pytest
import sqlalchemy as sa

from engine import cards
from engine.card_numbers import is_luhn_valid
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from engine.orm.members import MemberRow
from tests.support.assertions import refused_unchanged


def test_an_applet_card_gets_a_fresh_valid_number_and_key_version_one(database, clock, make_member):
    member = make_member()
    card = cards.issue_card(database, member_id=member.public_id, now=clock())
    assert (card.kind, card.status, card.key_version, card.member_id) == ("applet", "issued", 1,
                                                                        member.public_id)
    assert len(card.number) == 16 and is_luhn_valid(card.number)


def test_a_uid_card_is_known_by_its_normalised_uid(database, clock, make_member):
    card = cards.issue_card(database, member_id=make_member().public_id, kind="uid",
                            number="04:a1:b2:c3:d4:e5:f6", now=clock())
    assert (card.number, card.key_version) == ("04A1B2C3D4E5F6", None)
    assert cards.get_card(database, "04 a1 b2 c3 d4 e5 f6") == card


def test_a_card_number_can_be_issued_once(database, clock, make_card, make_member):
    taken, member = make_card().number, make_member()
    with refused_unchanged(database, Conflict, "duplicate_card_number"):
        cards.issue_card(database, member_id=member.public_id, number=taken, now=clock())


def test_a_card_for_an_unknown_member_is_refused(database, clock):
    with refused_unchanged(database, NotFound, "unknown_member"):
        cards.issue_card(database, member_id="MNOSUCHMEMBER", now=clock())


def test_a_card_for_a_closed_member_is_refused(database, clock, make_member):
    member = make_member()
    with database.transaction() as session:
        session.execute(sa.update(MemberRow).where(MemberRow.public_id == member.public_id)
                        .values(status="closed"))
    with refused_unchanged(database, InvalidState, "member_not_active"):
        cards.issue_card(database, member_id=member.public_id, now=clock())


@pytest.mark.parametrize("field, fields", [
    ("number", {"number": "9000000000000018"}),          # wrong check digit
    ("number", {"number": "12345"}),
    ("number", {"kind": "uid", "number": "XYZ"}),
    ("number", {"kind": "uid"}),
    ("key_version", {"kind": "uid", "number": "04A1B2C3", "key_version": 1}),
    ("key_version", {"key_version": 0}),
    ("kind", {"kind": "magstripe"}),
])
def test_a_card_with_invalid_details_is_refused(database, clock, make_member, field, fields):
    member = make_member()
    with refused_unchanged(database, InvalidInput) as refusal:
        cards.issue_card(database, member_id=member.public_id, now=clock(), **fields)
    assert [p.field for p in refusal.value.problems] == [field]


def test_a_members_cards_are_listed_in_issue_order(database, make_member, make_card):
    ada, grace = make_member(), make_member()
    first, _, second = make_card(ada), make_card(grace), make_card(ada, kind="uid", number="04A1B2C3")
    assert [c.number for c in cards.list_cards(database, member_id=ada.public_id)] == [
        first.number, second.number]
