"""Trying drafts on past sales: the window's sales evaluated again as published give what they
earned (no cap, the same facts), and with a draft what the draft would change; sales outside
the window or beyond the newest ``max_sales`` are left out; each sale uses the rules in force
at its time; nothing is posted."""
from datetime import timedelta

import pytest

from engine.errors import InvalidInput
from engine.ledger.invariants import check_ledger
from engine.rules.backtest import backtest
from engine.rules.segments import create_segment, set_member_attribute
from engine.rules.versions import create_draft, publish_rules
from tests.support.snapshot import contents_but_audit

COFFEE_DOUBLE = {"key": "coffee", "name": "Coffee double", "conditions": [{"kind": "sku", "values": ["SKU1"]}],
                 "effect": {"kind": "multiplier", "factor": "2"}}


def test_as_published_the_window_earns_again_what_it_earned(database, clock, make_member, earn):
    create_draft(database, COFFEE_DOUBLE, now=clock())
    publish_rules(database, ["coffee"], now=clock())
    ada, grace = make_member(), make_member()
    earned = sum(earn(member, 1000, 500).points for member in (ada, grace, ada))
    tried = backtest(database, since=clock() - timedelta(days=1), until=clock() + timedelta(seconds=1))
    assert (tried.sales, tried.members, tried.published, tried.with_drafts) == (3, 2, earned, earned)
    assert [(t.rule_key, t.published) for t in tried.rules] == [("base", 45), ("coffee", 30)]
    assert tried.members_changed == 0


def test_rules_on_attributes_and_segments_earn_again_what_they_earned(database, clock, make_member, earn):
    ada, grace, alan = make_member(), make_member(), make_member()
    set_member_attribute(database, ada.public_id, "city", "Gent")
    create_segment(database, code="listed", member_ids=[grace.public_id], now=clock())
    for key, condition in (("gent", {"kind": "attribute", "attribute": "city", "values": ["Gent"]}),
                           ("listed", {"kind": "segment", "values": ["listed"]})):
        create_draft(database, {"key": key, "name": key, "conditions": [condition],
                                "effect": {"kind": "fixed_per_transaction", "points": 7}}, now=clock())
    publish_rules(database, ["gent", "listed"], now=clock())
    earned = sum(earn(member, 1000).points for member in (ada, grace, alan))
    tried = backtest(database, since=clock() - timedelta(days=1), until=clock() + timedelta(seconds=1))
    assert [(t.rule_key, t.published) for t in tried.rules] == [("base", 30), ("gent", 7), ("listed", 7)]
    assert tried.published == earned == 44


def test_a_draft_shows_what_it_would_have_changed_and_nothing_is_posted(database, clock, make_member, earn):
    create_draft(database, COFFEE_DOUBLE, now=clock())
    publish_rules(database, ["coffee"], now=clock())
    ada, grace = make_member(), make_member()
    earn(ada, 1000, 500)  # SKU1 (coffee) at 10.00
    earn(grace, 700)
    create_draft(database, COFFEE_DOUBLE | {"effect": {"kind": "multiplier", "factor": "3"}}, now=clock())
    before = contents_but_audit(database)
    tried = backtest(database, since=clock() - timedelta(days=1), until=clock() + timedelta(seconds=1),
                     draft_keys=("coffee",))
    assert [(t.rule_key, t.published, t.with_drafts) for t in tried.rules] == [("base", 22, 22), ("coffee", 17, 34)]
    assert (tried.published, tried.with_drafts, tried.members_changed, tried.members) == (39, 56, 2, 2)
    assert contents_but_audit(database) == before and check_ledger(database) == []


def test_only_the_newest_sales_of_the_window_count_each_with_the_rules_of_its_time(database, clock, make_member,
                                                                                  earn):
    ada = make_member()
    earn(ada, 1000, occurred_at=clock() - timedelta(days=10))  # outside the window
    earn(ada, 1000, occurred_at=clock() - timedelta(days=2))  # before the rule was published
    create_draft(database, COFFEE_DOUBLE, now=clock())
    publish_rules(database, ["coffee"], now=clock() - timedelta(days=1))
    earn(ada, 1000)
    tried = backtest(database, since=clock() - timedelta(days=7), until=clock() + timedelta(seconds=1))
    assert (tried.sales, tried.published) == (2, 10 + 20)
    newest = backtest(database, since=clock() - timedelta(days=7), until=clock() + timedelta(seconds=1), max_sales=1)
    assert (newest.sales, newest.published) == (1, 20)


@pytest.mark.parametrize("change, field", [({"max_sales": 0}, "max_sales"), ({"draft_keys": ("nosuch",)},
                                                                             "draft_keys")])
def test_a_wrong_request_is_refused_with_its_field(database, clock, change, field):
    with pytest.raises(InvalidInput) as refused:
        backtest(database, since=clock() - timedelta(days=1), until=clock(), **change)
    assert [p.field for p in refused.value.problems] == [field]
