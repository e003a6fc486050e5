"""Dropping a tier while a rule that names it is published, at one instant, on a real
PostgreSQL: they take turns, so either the tier stays or the rule is refused; never a rule in
force naming a tier the programme no longer has."""
import pytest

from engine.errors import InvalidInput
from engine.rules.versions import create_draft, definitions_in_force, publish_rules
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, list_tiers
from tests.support.races import all_at_once, handle_for_racers

pytestmark = pytest.mark.postgres

LADDER = [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)]
GOLD_ONLY = [{"kind": "tier", "values": ["GOLD"]}]


def race(db, clock, name_gold):
    """Half the racers drop GOLD, the other half ``name_gold(racing, n)``; the tiers left."""
    with handle_for_racers(db, 8) as racing:
        _, raised = all_at_once(lambda n: name_gold(racing, n // 2) if n % 2
                                else define_tiers(racing, LADDER[:1], TierPolicy(), now=clock()))
    assert all(isinstance(error, InvalidInput) for error in raised), raised
    return {t.code for t in list_tiers(db)[0]}


@pytest.mark.parametrize("attempt", range(3))
def test_a_tier_is_never_dropped_under_a_rule_published_at_the_same_instant(postgres_db, clock, attempt):
    define_tiers(postgres_db, LADDER, TierPolicy(), now=clock())
    for n in range(4):
        create_draft(postgres_db, {"key": f"gold-{n}", "name": "Gold", "conditions": GOLD_ONLY,
                                   "effect": {"kind": "fixed_per_transaction", "points": 5}}, now=clock())
    tiers = race(postgres_db, clock, lambda db, n: publish_rules(db, [f"gold-{n}"], now=clock()))
    named = {value for definition in definitions_in_force(postgres_db, at=clock())
             for condition in definition["conditions"] for value in condition["values"]}
    assert named <= tiers
