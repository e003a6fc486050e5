"""An attribute is removed by its name as one segment of an address (DELETE
/v1/staff/members/{id}/attributes/{name}, the console's .../attributes/{name}/remove), so a
name with "/" could be set but never removed: it is refused by name, when set and when a rule
or a segment names it, and nothing changes."""
from engine.errors import InvalidInput
from engine.rules.segments import change_member_attributes, create_segment, member_attributes, set_member_attribute
from engine.rules.versions import validate_definition
from tests.support.assertions import refused_unchanged


def test_setting_an_attribute_whose_name_has_a_slash_is_refused_and_changes_nothing(database, make_member):
    member = make_member()
    set_member_attribute(database, member.public_id, "promo-2026", "yes")
    with refused_unchanged(database, InvalidInput) as refused:
        change_member_attributes(database, member.public_id, to_set={"city": "Gent", "promo/2026": "yes"})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("name", "'promo/2026' must be 1 to 64 characters, without '/', and not '.' or '..'")]
    assert member_attributes(database, member.public_id) == {"promo-2026": "yes"}


def test_a_segment_or_a_rule_naming_such_an_attribute_is_refused(database, clock):
    with refused_unchanged(database, InvalidInput) as refused:
        create_segment(database, code="promo", predicate={"attributes": {"promo/2026": ["yes"]}}, now=clock())
    assert [p.field for p in refused.value.problems] == ["predicate"]
    rule = {"key": "promo", "name": "Promo", "effect": {"kind": "fixed_per_transaction", "points": 10},
            "conditions": [{"kind": "attribute", "attribute": "promo/2026", "values": ["yes"]}]}
    assert [p.field for p in validate_definition(rule)] == ["conditions[0].attribute"]
