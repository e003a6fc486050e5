"""Stacking modes and the documented order: priority (highest first), then key."""
from tests.support.rules import basket, evaluate, line, rule


def bonus(key, points, **more):
    return rule(key, effect={"kind": "fixed_per_transaction", "points": points}, **more)


def test_stacking_rules_add_up_in_priority_then_key_order():
    _, awards = evaluate([bonus("b", 1), bonus("a", 2), bonus("c", 3, priority=5)], basket(line(1, 1)))
    assert [a.rule_key for a in awards] == ["c", "a", "b"]


def test_an_exclusive_rule_that_fires_stops_the_rules_after_it():
    rules = [bonus("high", 10, priority=9), bonus("excl", 20, priority=5, stacking="exclusive"), bonus("low", 30)]
    totals, awards = evaluate(rules, basket(line(1, 1)))
    assert [a.rule_key for a in awards] == ["high", "excl"] and sum(totals) == 30


def test_an_exclusive_rule_that_does_not_fire_stops_nothing():
    rules = [bonus("excl", 20, stacking="exclusive", conditions=[{"kind": "sku", "values": ["X"]}]), bonus("low", 30)]
    assert [a.rule_key for a in evaluate(rules, basket(line(1, 1)))[1]] == ["low"]


def test_best_of_gives_only_the_best_rule_of_its_group():
    rules = [bonus("small", 100, stacking="best_of", group="welcome", priority=9),
             bonus("large", 300, stacking="best_of", group="welcome"), bonus("other", 1)]
    totals, awards = evaluate(rules, basket(line(1, 1)))
    assert [a.rule_key for a in awards] == ["large", "other"] and sum(totals) == 301


def test_best_of_ties_go_to_the_earlier_rule_in_the_order():
    rules = [bonus("b", 100, stacking="best_of", group="g"), bonus("a", 100, stacking="best_of", group="g")]
    assert [a.rule_key for a in evaluate(rules, basket(line(1, 1)))[1]] == ["a"]
