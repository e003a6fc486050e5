"""A tier that a rule in force names stays in the ladder: removing it is refused, naming the
rules, and changes nothing. A predicate segment naming it does not keep it (segments cannot be
changed, so it would keep the tier for ever): the segment's other tiers still match."""
from engine.errors import InvalidInput
from engine.rules.segments import create_segment
from engine.rules.versions import create_draft, publish_rules, retire_rule, rollback_rule
from engine.tiers.policy import TierPolicy
from engine.tiers.service import define_tiers, list_tiers
from tests.support.assertions import refused_unchanged


def gold_rule(key: str) -> dict:
    return {"key": key, "name": key, "effect": {"kind": "fixed_per_transaction", "points": 100},
            "conditions": [{"kind": "tier", "values": ["SILVER", "GOLD"]}]}


def test_removing_a_tier_that_published_rules_name_is_refused_naming_them(database, clock, tiers):
    ladder = tiers()
    for key in ("gold-bonus", "early-gold"):
        create_draft(database, gold_rule(key), now=clock())
    publish_rules(database, ["gold-bonus", "early-gold"], now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        define_tiers(database, ladder[:2], TierPolicy(), now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("tiers", "tier GOLD is named by rules early-gold, gold-bonus; retire or change them first")]


def test_a_retired_rule_no_longer_keeps_its_tier_and_its_rollback_is_then_refused(database, clock, tiers):
    ladder = tiers()
    create_draft(database, gold_rule("gold-bonus"), now=clock())
    publish_rules(database, ["gold-bonus"], now=clock())
    retire_rule(database, "gold-bonus", now=clock.advance(minutes=1))
    define_tiers(database, [ladder[0], ladder[1], ladder[3]], TierPolicy(), now=clock.advance(minutes=1))
    assert [t.code for t in list_tiers(database)[0]] == ["BASIC", "SILVER", "PLATINUM"]
    with refused_unchanged(database, InvalidInput):
        rollback_rule(database, "gold-bonus", 1, now=clock())


def test_a_draft_alone_does_not_keep_its_tier(database, clock, tiers):
    ladder = tiers()
    create_draft(database, gold_rule("gold-bonus"), now=clock())
    define_tiers(database, [ladder[0], ladder[1], ladder[3]], TierPolicy(), now=clock())
    assert [t.code for t in list_tiers(database)[0]] == ["BASIC", "SILVER", "PLATINUM"]


def test_a_predicate_segment_naming_a_tier_does_not_keep_it(database, clock, tiers):
    ladder = tiers()
    create_segment(database, code="golds", predicate={"tier": ["GOLD", "PLATINUM"]}, now=clock())
    define_tiers(database, [ladder[0], ladder[1], ladder[3]], TierPolicy(), now=clock())
    assert [t.code for t in list_tiers(database)[0]] == ["BASIC", "SILVER", "PLATINUM"]
