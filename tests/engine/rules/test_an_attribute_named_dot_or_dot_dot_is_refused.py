"""An attribute is removed by its name as one segment of an address, and a browser or client
resolves a "." or ".." segment away (…/attributes/../remove is …/remove): such a name could be
set but never removed, so it is refused, when set and when a rule or a segment names it."""
import pytest

from engine.errors import InvalidInput
from engine.rules.segments import change_member_attributes, create_segment, member_attributes, set_member_attribute
from engine.rules.validation import is_attribute_name
from engine.rules.versions import validate_definition
from tests.support.assertions import refused_unchanged


@pytest.mark.parametrize("name", [".", ".."])
def test_setting_an_attribute_named_dot_or_dot_dot_is_refused_and_changes_nothing(database, make_member, name):
    member = make_member()
    set_member_attribute(database, member.public_id, "city", "Gent")
    with refused_unchanged(database, InvalidInput) as refused:
        change_member_attributes(database, member.public_id, to_set={name: "x"})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("name", f"{name!r} must be 1 to 64 characters, without '/', and not '.' or '..'")]
    assert member_attributes(database, member.public_id) == {"city": "Gent"}


def test_a_segment_or_a_rule_naming_dot_dot_is_refused(database, clock):
    with refused_unchanged(database, InvalidInput) as refused:
        create_segment(database, code="dots", predicate={"attributes": {"..": ["x"]}}, now=clock())
    assert [p.field for p in refused.value.problems] == ["predicate"]
    rule = {"key": "dots", "name": "Dots", "effect": {"kind": "fixed_per_transaction", "points": 10},
            "conditions": [{"kind": "attribute", "attribute": "..", "values": ["x"]}]}
    assert [p.field for p in validate_definition(rule)] == ["conditions[0].attribute"]


def test_names_with_dots_among_other_characters_are_still_names():
    assert all(is_attribute_name(name) for name in ("...", ".hidden", "v1.2", "a..b"))
