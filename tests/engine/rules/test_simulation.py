"""Simulation evaluates a basket against the published rules or a draft and posts nothing."""
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput
from engine.ledger.basket import Basket, BasketLine
from engine.orm.ledger import ReceiptRow
from engine.rules.calculator import simulate
from engine.rules.facts import MemberFacts
from engine.rules.model import rule_from_dict
from engine.rules.versions import create_draft, publish_rules

TRIPLE = {"key": "coffee", "name": "Coffee", "effect": {"kind": "multiplier", "factor": "3"},
          "conditions": [{"kind": "category", "values": ["coffee"]}]}


def basket(till, clock, member_id=None):
    return Basket(till.store_code, till.code, "SIM", clock(), "EUR",
                  (BasketLine(1, "A", Decimal(1), 1000, "coffee"), BasketLine(2, "B", Decimal(1), 1000, "tea")),
                  member_id=member_id)


def test_a_real_member_is_simulated_against_the_published_rules_and_nothing_is_posted(database, clock, till,
                                                                                     make_member):
    create_draft(database, TRIPLE, now=clock())
    publish_rules(database, ["coffee"], now=clock())
    member = make_member()
    result = simulate(database, basket(till, clock), member_id=member.public_id, now=clock())
    assert result.points == 40 and [(a.rule_key, a.applied) for a in result.awards] == [("base", 20), ("coffee", 20)]
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)) == 0


def test_a_draft_replaces_the_published_version_of_its_key_in_a_simulation(database, clock, till):
    create_draft(database, TRIPLE, now=clock())
    publish_rules(database, ["coffee"], now=clock())
    create_draft(database, {**TRIPLE, "effect": {"kind": "multiplier", "factor": "5"}}, now=clock())
    hypothetical = MemberFacts(tier_code="gold", birthday=date(1990, 3, 1))
    assert simulate(database, basket(till, clock), member=hypothetical, now=clock()).points == 40
    with_draft = simulate(database, basket(till, clock), member=hypothetical, draft_keys=("coffee",), now=clock())
    assert with_draft.points == 60 and with_draft.awards[1].version == 2


def test_unsaved_rules_can_be_simulated_and_invalid_ones_are_refused(database, clock, till):
    gold = rule_from_dict({"key": "gold", "name": "Gold", "effect": {"kind": "multiplier", "factor": "1.5"},
                           "conditions": [{"kind": "tier", "values": ["gold"]}]})
    result = simulate(database, basket(till, clock), member=MemberFacts(tier_code="gold"), rules=(gold,), now=clock())
    assert result.points == 30 and result.awards[1].version is None
    with pytest.raises(InvalidInput) as refused:
        simulate(database, basket(till, clock), member=MemberFacts(),
                 rules=(rule_from_dict({**TRIPLE, "key": "BAD"}),), now=clock())
    assert [p.field for p in refused.value.problems] == ["rules[0].key"]


def test_a_sale_next_saturday_is_simulated_with_the_rules_in_force_then(database, clock, till):
    weekend = {**TRIPLE, "conditions": TRIPLE["conditions"] + [{"kind": "day_of_week", "days_of_week": [6]}]}
    create_draft(database, weekend, now=clock())
    publish_rules(database, ["coffee"], now=clock())
    today = clock()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7, hours=2)
    ahead = replace(basket(till, clock), occurred_at=saturday)
    assert simulate(database, ahead, member=MemberFacts(), now=today).points == 40


@pytest.mark.parametrize("paid", [5000, -5])
def test_a_simulated_basket_paid_with_more_points_than_its_total_is_refused_as_a_sale_would_be(
        database, clock, till, paid):
    with pytest.raises(InvalidInput) as refused:
        simulate(database, replace(basket(till, clock), paid_with_points_minor=paid), member=MemberFacts(), now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("paid_with_points_minor", "must be between zero and the basket's total")]
