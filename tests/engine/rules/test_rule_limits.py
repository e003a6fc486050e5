"""Limits cut a rule's points; the desired and the applied points are both kept."""
from tests.support.rules import basket, evaluate, line, rule
from engine.rules.facts import Usage

BONUS = {"kind": "fixed_per_transaction", "points": 500}


def test_a_cap_reached_exactly_does_not_cut():
    _, (award,) = evaluate([rule("b", effect=BONUS, limits={"per_transaction": 500})], basket(line(1, 100)))
    assert (award.desired, award.applied, award.capped_by) == (500, 500, None)


def test_a_per_transaction_cap_cuts_and_records_desired_and_applied():
    _, (award,) = evaluate([rule("b", effect=BONUS, limits={"per_transaction": 499})], basket(line(1, 1), line(2, 1)))
    assert (award.desired, award.applied, award.capped_by) == (500, 499, "per_transaction")
    assert sum(p for _, p in award.lines) == 499


def test_a_daily_member_cap_counts_what_the_rule_already_gave_today():
    r = rule("b", effect=BONUS, limits={"per_member_day": 2000})
    _, (award,) = evaluate([r], basket(line(1, 1)), usage=Usage(day={"b": 1700}))
    assert (award.applied, award.capped_by) == (300, "per_member_day")
    _, (spent,) = evaluate([r], basket(line(1, 1)), usage=Usage(day={"b": 2000}))
    assert (spent.desired, spent.applied) == (500, 0)


def test_weekly_and_monthly_caps_cut_like_the_daily_one():
    r = rule("b", effect=BONUS, limits={"per_member_week": 600, "per_member_month": 900})
    assert evaluate([r], basket(line(1, 1)), usage=Usage(week={"b": 200}))[1][0].capped_by == "per_member_week"
    assert evaluate([r], basket(line(1, 1)), usage=Usage(month={"b": 800}))[1][0].applied == 100


def test_a_campaign_budget_exhausted_mid_basket_gives_the_next_rule_only_what_is_left():
    first = rule("a", effect=BONUS, campaign="summer", priority=2)
    second = rule("b", effect=BONUS, campaign="summer", priority=1)
    _, (a, b) = evaluate([first, second], basket(line(1, 1)), usage=Usage(campaign_left={"summer": 700}))
    assert (a.applied, b.desired, b.applied, b.capped_by) == (500, 500, 200, "campaign_budget")


def test_rules_of_a_campaign_not_open_to_the_member_give_nothing():
    r = rule("a", effect=BONUS, campaign="summer")
    assert evaluate([r], basket(line(1, 1)), usage=Usage(campaigns_open=frozenset()))[1] == []
    assert evaluate([r], basket(line(1, 1)), usage=Usage(campaigns_open=frozenset({"summer"})))[1][0].applied == 500
