import re
from datetime import date

import pytest

from engine import members
from engine.errors import Conflict, InvalidInput, NotFound
from tests.support.assertions import refused_unchanged


def test_an_enrolled_member_gets_an_opaque_id_and_keeps_their_profile(database, clock):
    member = members.enrol_member(database, full_name="Ada Lovelace", email="Ada@Example.org",
                                  phone="+44 20 7946 0000", birthday=date(1985, 12, 10),
                                  consents={"marketing_email": True}, now=clock())
    assert re.fullmatch(r"M[0-9A-HJKMNP-TV-Z]{12}", member.public_id)
    assert members.get_member(database, member.public_id) == member
    assert (member.email, member.status, member.enrolled_at) == ("ada@example.org", "active", clock())
    assert member.consents == {"marketing_email": True, "marketing_sms": False, "profiling": False}


def test_member_ids_do_not_reveal_the_enrolment_order(database, make_member):
    ids = [make_member().public_id for _ in range(5)]
    assert ids != sorted(ids) or ids != sorted(ids, reverse=True)
    assert len(set(ids)) == 5


def test_members_are_listed_in_enrolment_order_one_page_at_a_time(database, make_member):
    enrolled = [make_member().public_id for _ in range(5)]
    assert [m.public_id for m in members.list_members(database, limit=2, offset=1)] == enrolled[1:3]


def test_an_email_address_belongs_to_one_member_whatever_its_case(database, clock, make_member):
    make_member(email="ada@example.org")
    with refused_unchanged(database, Conflict, "duplicate_email"):
        members.enrol_member(database, full_name="Impostor", email="ADA@example.org", now=clock())


@pytest.mark.parametrize("field, profile", [
    ("full_name", {"full_name": ""}),
    ("email", {"email": "not-an-address"}),
    ("phone", {"phone": "call me"}),
    ("birthday", {"birthday": date(2030, 1, 1)}),
    ("consents.newsletter", {"consents": {"newsletter": True}}),
    ("consents.profiling", {"consents": {"profiling": "yes"}}),
])
def test_invalid_personal_data_is_refused(database, clock, field, profile):
    fields = {"full_name": "Grace Hopper", **profile}
    with refused_unchanged(database, InvalidInput) as refusal:
        members.enrol_member(database, now=clock(), **fields)
    assert [p.field for p in refusal.value.problems] == [field]


def test_an_unknown_member_is_refused_by_id(database):
    with pytest.raises(NotFound) as refusal:
        members.get_member(database, "MNOSUCHMEMBER")
    assert refusal.value.code == "unknown_member"


def test_members_are_found_by_id_email_card_number_or_part_of_their_name(database, clock, make_member, make_card):
    ada = make_member("Ada Lovelace", email="ada@example.org")
    make_member("Grace Hopper")
    card = make_card(ada)
    for query in (ada.public_id.lower(), " ADA@example.org ", card.number, "lovel"):
        assert [m.public_id for m in members.find_members(database, query)] == [ada.public_id], query
    assert members.find_members(database, "100%_") == [] and members.find_members(database, "  ") == []
