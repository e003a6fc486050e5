"""The demo programme publishes its earning rules and summer campaign; a sale from then on
earns by them."""
from datetime import timedelta
from decimal import Decimal

from engine.demo import DEMO_RULES, load_demo
from engine.ledger.basket import Basket, BasketLine
from engine.members import list_members
from engine.rules.calculator import simulate
from engine.rules.campaigns import list_campaigns
from engine.rules.versions import list_versions


def test_the_demo_publishes_its_rules_and_its_summer_campaign(database, clock):
    summary = load_demo(database, now=clock())
    assert summary.rules == len(DEMO_RULES) == len([v for v in list_versions(database) if v.status == "published"])
    (summer,) = list_campaigns(database)
    assert (summer.code, summer.budget) == ("summer", 1_000_000)


def test_weekend_coffee_in_a_city_store_earns_triple_by_the_demo_rules(database, clock):
    load_demo(database, now=clock())
    ada = next(m for m in list_members(database) if m.full_name.startswith("Ada"))
    saturday = clock() + timedelta(days=5)  # the clock is on a Monday
    basket = Basket("BER-01", "BER-01-T1", "SIM", saturday, "EUR",
                    (BasketLine(1, "COFFEE-1KG", Decimal(1), 1000, "coffee"),), member_id=ada.public_id)
    result = simulate(database, basket, member_id=ada.public_id, now=saturday)
    assert {a.rule_key: a.applied for a in result.awards} == {"base": 10, "two-per-euro": 10, "coffee-weekend-city": 40}
