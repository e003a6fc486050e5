"""Effects: points per currency unit with rounding, multipliers, fixed bonuses; per-line points
always add up to what the rule gave."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ledger.allocation import split_proportionally
from engine.rules.facts import MemberFacts
from engine.rules.outcome import split
from tests.support.rules import basket, evaluate, line, rule


def per_unit(points, per_minor, rounding="down", **more):
    return rule("unit", effect={"kind": "points_per_unit", "points": points, "per_minor": per_minor,
                                "rounding": rounding}, **more)


@pytest.mark.parametrize("rounding, expected", [("down", 2), ("half_up", 3), ("up", 3)])
def test_points_per_unit_round_the_matched_total_by_the_policy(rounding, expected):
    totals, awards = evaluate([per_unit(2, 100, rounding)], basket(line(1, 125)))  # 2.5 points
    assert sum(totals) == expected == awards[0].applied


def test_half_up_rounds_below_half_down():
    assert sum(evaluate([per_unit(1, 100, "half_up")], basket(line(1, 149)))[0]) == 1


def test_points_per_unit_are_counted_on_the_sum_and_split_over_lines_by_largest_remainder():
    totals, awards = evaluate([per_unit(2, 100)], basket(line(1, 1099), line(2, 501)))
    assert totals == [22, 10] and awards[0].lines == ((1, 22), (2, 10))


def test_a_multiplier_multiplies_the_base_points_of_its_matched_lines():
    triple = rule("triple", effect={"kind": "multiplier", "factor": "3"},
                  conditions=[{"kind": "category", "values": ["coffee"]}])
    totals, awards = evaluate([triple], basket(line(1, 1000, category="coffee"), line(2, 1000)), base=[10, 10])
    assert totals == [30, 10] and awards[0].applied == 20


def test_a_fractional_multiplier_rounds_its_extra_points_by_the_policy():
    gold = rule("gold", effect={"kind": "multiplier", "factor": "1.5", "rounding": "half_up"})
    assert evaluate([gold], basket(line(1, 1)), base=[5])[0] == [8]  # 2.5 extra rounds to 3
    gold_down = rule("gold", effect={"kind": "multiplier", "factor": "1.5"})
    assert evaluate([gold_down], basket(line(1, 1)), base=[5])[0] == [7]


def test_a_tier_multiplier_multiplies_by_the_members_tier_factor():
    tier_boost = rule("tier-boost", effect={"kind": "tier_multiplier", "rounding": "half_up"})
    gold = MemberFacts(tier_code="gold", tier_multiplier=Decimal("1.5"))
    totals, awards = evaluate([tier_boost], basket(line(1, 1000), line(2, 500)), member=gold, base=[10, 5])
    assert totals == [15, 8] and awards[0].applied == 8  # 7.5 extra rounds half up to 8
    basic = MemberFacts(tier_code="basic")
    assert evaluate([tier_boost], basket(line(1, 1000)), member=basic, base=[10])[1][0].applied == 0


def test_a_multiplier_also_multiplies_points_per_unit_rules_earlier_in_the_order():
    double = per_unit(2, 100, priority=10)
    gold = rule("gold", effect={"kind": "multiplier", "factor": "1.5"}, priority=0)
    assert evaluate([double, gold], basket(line(1, 1000)))[0] == [30]


def test_a_fixed_bonus_per_transaction_is_given_once_and_spread_over_the_matched_lines():
    totals, awards = evaluate([rule("b", effect={"kind": "fixed_per_transaction", "points": 500})],
                              basket(line(1, 300), line(2, 100)))
    assert totals == [375, 125] and awards[0].applied == 500


def test_a_fixed_bonus_per_unit_counts_whole_units_of_the_matched_lines():
    r = rule("u", effect={"kind": "fixed_per_unit", "points": 50}, conditions=[{"kind": "sku", "values": ["A"]}])
    totals, _ = evaluate([r], basket(line(1, 300, sku="A", quantity="3"), line(2, 100, sku="A", quantity="1.5"),
                                     line(3, 100, sku="B", quantity="2")))
    assert totals == [150, 50, 0]


@given(st.integers(0, 10**6), st.lists(st.integers(0, 10**5), min_size=1, max_size=25).filter(any))
def test_the_rules_split_is_the_ledgers_largest_remainder_split(total, weights):
    assert split(total, weights) == split_proportionally(total, weights)
