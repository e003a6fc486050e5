"""A rule whose effect is out of all proportion is refused with the sale, not credited and not
crashed on: no sale earns more than MAX_SALE_POINTS, nor is simulated to."""
from dataclasses import replace
from decimal import Decimal

import pytest

from engine.errors import InvalidInput
from engine.ledger.basket import MAX_SALE_POINTS, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.rules.calculator import simulate
from engine.rules.facts import MemberFacts
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

BILLION_A_CENT = {"key": "huge", "name": "Huge", "conditions": [{"kind": "sku", "values": ["HUGE"]}],
                  "effect": {"kind": "points_per_unit", "points": 10**9, "per_minor": 1}}


@pytest.fixture
def huge_rule(database, clock):
    create_draft(database, BILLION_A_CENT, now=clock())
    publish_rules(database, ["huge"], now=clock())


def huge_basket(make_basket, member, amount_minor):
    return replace(make_basket(member), lines=(BasketLine(1, "HUGE", Decimal(1), amount_minor),))


@pytest.mark.parametrize("amount_minor", [100_000, 10**10])  # 10**10: beyond a 64-bit column, once a 500
def test_a_sale_the_rules_give_more_than_a_sale_may_earn_is_refused_and_nothing_is_written(
        database, clock, make_member, make_basket, huge_rule, amount_minor):
    member = make_member(points=500)
    with refused_unchanged(database, InvalidInput) as refusal:
        earn_points(database, huge_basket(make_basket, member, amount_minor), caller="S1-T1",
                    idempotency_key=new_key(), now=clock())
    [problem] = refusal.value.problems
    assert problem.field == "lines" and f"more than one sale may earn ({MAX_SALE_POINTS})" in problem.message
    assert check_ledger(database) == []


def test_a_simulation_of_such_a_sale_is_refused_with_the_same_words(database, clock, make_member, make_basket,
                                                                   huge_rule):
    basket = huge_basket(make_basket, make_member(), 10**10)
    with pytest.raises(InvalidInput) as refusal:
        simulate(database, basket, member=MemberFacts(), now=clock())
    assert "more than one sale may earn" in refusal.value.problems[0].message


def test_a_sale_the_rules_give_up_to_the_bound_earns_it(database, clock, make_member, make_basket, huge_rule):
    earned = earn_points(database, huge_basket(make_basket, make_member(), 1), caller="S1-T1",
                         idempotency_key=new_key(), now=clock())
    assert earned.points == 10**9  # the base rate gives nothing on one cent
