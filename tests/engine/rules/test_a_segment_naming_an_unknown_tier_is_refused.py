"""A predicate segment names tiers as rules do: by the programme's codes, case and all; one
the programme has not would hold no member, so it is refused by name and nothing is saved."""
from engine.errors import InvalidInput
from engine.rules.segments import create_segment, list_segments
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.support.assertions import refused_unchanged


def test_a_segment_of_a_wrong_case_or_unknown_tier_is_refused_naming_the_codes(database, clock, make_member):
    define_tiers(database, [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)], TierPolicy(),
                 now=clock())
    assign_tier(database, make_member().public_id, "GOLD", reason="test", actor="t", now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        create_segment(database, code="golds", predicate={"tier": ["gold", "GOLD", "DIAMOND"]}, now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("predicate.tier", "names unknown tier 'gold', 'DIAMOND' (codes are case-sensitive)")]
    create_segment(database, code="golds", predicate={"tier": ["GOLD"]}, now=clock())
    assert [(s.code, s.members) for s in list_segments(database)] == [("golds", 1)]


def test_a_segment_naming_a_tier_before_any_tier_is_defined_is_refused(database, clock):
    with refused_unchanged(database, InvalidInput) as refused:
        create_segment(database, code="golds", predicate={"tier": ["GOLD"]}, now=clock())
    assert [p.field for p in refused.value.problems] == ["predicate.tier"]
