"""A campaign's member cap: no member gets more than the cap from the campaign's rules in all,
across sales and across its rules in one sale; the sale that reaches it gets the rest,
recorded as capped; other members are not touched; a simulation sees what is left; a
changed cap counts from the next sale."""
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import InvalidInput
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.rules.calculator import simulate
from engine.rules.campaigns import change_campaign, create_campaign, list_campaigns
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key


def start(database, clock, *, member_cap=500, rules=(("summer-bonus", 300),)):
    create_campaign(database, code="summer", name="Summer", starts_at=clock(), ends_at=clock() + timedelta(days=30),
                    member_cap=member_cap, now=clock())
    for key, points in rules:
        create_draft(database, {"key": key, "name": key, "campaign": "summer",
                                "effect": {"kind": "fixed_per_transaction", "points": points}}, now=clock())
    publish_rules(database, [key for key, _ in rules], now=clock())


def buy(database, clock, till, member) -> list[tuple]:
    sale = Basket(till.store_code, till.code, new_key()[:20], clock(), "EUR", (BasketLine(1, "A", Decimal(1), 100),),
                  member_id=member.public_id)
    earned = earn_points(database, sale, caller="t", idempotency_key=new_key(), now=clock())
    return [(a.rule_key, a.desired, a.applied, a.capped_by) for a in earned.rules if a.campaign]


def test_a_member_gets_at_most_the_cap_and_the_sale_reaching_it_gets_the_rest(database, clock, till, make_member):
    start(database, clock)
    ada, grace = make_member(), make_member()
    assert buy(database, clock, till, ada) == [("summer-bonus", 300, 300, None)]
    clock.advance(days=1)
    assert buy(database, clock, till, ada) == [("summer-bonus", 300, 200, "campaign_member_cap")]
    assert buy(database, clock, till, ada) == [("summer-bonus", 300, 0, "campaign_member_cap")]
    assert buy(database, clock, till, grace) == [("summer-bonus", 300, 300, None)]


def test_the_rules_of_one_campaign_share_the_cap_in_one_sale(database, clock, till, make_member):
    start(database, clock, rules=(("summer-a", 300), ("summer-b", 300)))
    assert buy(database, clock, till, make_member()) == [("summer-a", 300, 300, None),
                                                          ("summer-b", 300, 200, "campaign_member_cap")]


def test_a_simulation_sees_what_the_member_may_still_get(database, clock, till, make_member):
    start(database, clock)
    ada = make_member()
    buy(database, clock, till, ada)
    sale = Basket(till.store_code, till.code, "SIM", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 100),))
    awards = simulate(database, sale, now=clock(), member_id=ada.public_id).awards
    assert [(a.applied, a.capped_by) for a in awards if a.campaign] == [(200, "campaign_member_cap")]


def test_a_changed_cap_counts_from_the_next_sale(database, clock, till, make_member):
    start(database, clock, member_cap=300)
    ada = make_member()
    buy(database, clock, till, ada)
    assert change_campaign(database, "summer", member_cap=400, now=clock()).member_cap == 400
    assert buy(database, clock, till, ada) == [("summer-bonus", 300, 100, "campaign_member_cap")]
    assert list_campaigns(database)[0].member_cap == 400


@pytest.mark.parametrize("cap", [0, -5, 10**9 + 1, True, "500"])
def test_a_cap_that_is_not_a_positive_whole_number_is_refused(database, clock, cap):
    with pytest.raises(InvalidInput) as refused:
        create_campaign(database, code="summer", name="Summer", starts_at=clock(),
                        ends_at=clock() + timedelta(days=30), member_cap=cap, now=clock())
    assert [p.field for p in refused.value.problems] == ["member_cap"]
    assert list_campaigns(database) == []
