"""Member attributes: set, replaced, removed, refused when malformed, and read by rules and
predicate segments from the next sale on."""
import pytest

from engine.errors import InvalidInput, NotFound
from engine.rules.segments import (change_member_attributes, create_segment, member_attributes, member_segments, remove_member_attribute,
                                   set_member_attribute, upload_segment)
from tests.support.assertions import refused_unchanged


def test_an_attribute_is_set_replaced_and_removed(database, make_member):
    member = make_member()
    set_member_attribute(database, member.public_id, "status", "student")
    set_member_attribute(database, member.public_id, "city", "Gent")
    set_member_attribute(database, member.public_id, "status", "staff")
    assert member_attributes(database, member.public_id) == {"city": "Gent", "status": "staff"}
    remove_member_attribute(database, member.public_id, "city")
    remove_member_attribute(database, member.public_id, "never-set")  # nothing to do
    assert member_attributes(database, member.public_id) == {"status": "staff"}


@pytest.mark.parametrize("name, value, field", [("", "x", "name"), ("n" * 65, "x", "name"), ("city", "v" * 201, "value")])
def test_a_malformed_attribute_is_refused_with_its_field_and_changes_nothing(database, make_member, name, value, field):
    member = make_member()
    with refused_unchanged(database, InvalidInput) as refusal:
        set_member_attribute(database, member.public_id, name, value)
    assert [p.field for p in refusal.value.problems] == [field]


def test_several_changes_apply_together_or_not_at_all(database, make_member):
    member = make_member()
    set_member_attribute(database, member.public_id, "city", "Gent")
    with refused_unchanged(database, InvalidInput) as refusal:
        change_member_attributes(database, member.public_id, to_set={"status": "student", "": "x", "note": "v" * 201},
                                 to_remove=["city"])
    assert [p.field for p in refusal.value.problems] == ["name", "value"]
    change_member_attributes(database, member.public_id, to_set={"status": "student", "city": "Leuven"},
                             to_remove=["city"])
    assert member_attributes(database, member.public_id) == {"status": "student"}


def test_attributes_of_an_unknown_member_are_refused(database):
    for attempt in (lambda: set_member_attribute(database, "MNOSUCH", "city", "Gent"),
                    lambda: remove_member_attribute(database, "MNOSUCH", "city"),
                    lambda: member_attributes(database, "MNOSUCH"), lambda: member_segments(database, "MNOSUCH")):
        with pytest.raises(NotFound, match="unknown member 'MNOSUCH'"):
            attempt()


def test_a_member_is_in_the_listed_segments_and_the_predicate_segments_they_meet(database, make_member, clock):
    member, other = make_member(), make_member()
    create_segment(database, code="vip", now=clock(), member_ids=[member.public_id])
    create_segment(database, code="students", now=clock(), predicate={"attributes": {"status": ["student"]}})
    assert member_segments(database, member.public_id) == ["vip"]
    set_member_attribute(database, member.public_id, "status", "student")
    assert member_segments(database, member.public_id) == ["students", "vip"]
    upload_segment(database, "vip", [other.public_id])
    assert member_segments(database, member.public_id) == ["students"]
