"""Each condition kind decides whether a rule fires, in the store's time zone for times."""
from datetime import UTC, date, datetime

import pytest

from engine.rules.facts import MemberFacts, SaleFacts
from tests.support.rules import basket, line, rule

C = [{"kind": "fixed_per_transaction", "points": 10}]


def test_a_rule_without_conditions_fires_on_every_basket(fired):
    assert fired([rule("all")], basket(line(1, 100))) == ["all"]


@pytest.mark.parametrize("total, fires", [(4999, False), (5000, True), (9000, True)])
def test_a_basket_total_minimum_is_inclusive(fired, total, fires):
    r = rule("big", conditions=[{"kind": "basket_total", "minimum": 5000}])
    assert fired([r], basket(line(1, total))) == (["big"] if fires else [])


def test_store_and_store_group_conditions_match_the_sale_store(fired):
    by_store = rule("s", conditions=[{"kind": "store", "values": ["CITY1"]}])
    by_group = rule("g", conditions=[{"kind": "store_group", "values": ["mall"]}])
    not_city = rule("x", conditions=[{"kind": "store_group", "values": ["city"], "exclude": True}])
    assert fired([by_store, by_group, not_city], basket(line(1, 100))) == ["s"]
    mall = SaleFacts("MALL1", "mall", "Europe/Berlin")
    assert fired([by_store, by_group, not_city], basket(line(1, 100), store="MALL1"), sale=mall) == ["g", "x"]


def test_a_channel_condition_needs_the_channel_the_sale_came_through(fired):
    r = rule("web", conditions=[{"kind": "channel", "values": ["online"]}])
    assert fired([r], basket(line(1, 100))) == []
    assert fired([r], basket(line(1, 100)), sale=SaleFacts("CITY1", "city", "Europe/Berlin", "online")) == ["web"]


def test_a_currency_condition_compares_the_basket_currency(fired):
    assert fired([rule("eur", conditions=[{"kind": "currency", "values": ["EUR"]}])], basket(line(1, 1))) == ["eur"]
    assert fired([rule("usd", conditions=[{"kind": "currency", "values": ["USD"]}])], basket(line(1, 1))) == []


def test_day_of_week_is_the_store_local_day_not_the_utc_day(fired):
    weekend = rule("weekend", conditions=[{"kind": "day_of_week", "days_of_week": [6, 7]}])
    friday_late_utc = datetime(2026, 3, 6, 23, 30, tzinfo=UTC)  # Saturday 00:30 in Berlin
    assert fired([weekend], basket(line(1, 100), at=friday_late_utc)) == ["weekend"]
    new_york = SaleFacts("NY1", None, "America/New_York")
    assert fired([weekend], basket(line(1, 100), at=friday_late_utc, store="NY1"), sale=new_york) == []


@pytest.mark.parametrize("utc_time, fires", [((6, 59), False), ((7, 0), True), ((8, 59), True), ((9, 0), False)])
def test_a_time_window_includes_its_start_and_excludes_its_end_in_local_time(fired, utc_time, fires):
    morning = rule("morning", conditions=[{"kind": "time_window", "time_from": "08:00", "time_until": "10:00"}])
    at = datetime(2026, 3, 2, *utc_time, tzinfo=UTC)  # Berlin is UTC+1 in March
    assert fired([morning], basket(line(1, 100), at=at)) == (["morning"] if fires else [])


def test_a_time_window_may_cross_midnight(fired):
    night = rule("night", conditions=[{"kind": "time_window", "time_from": "22:00", "time_until": "02:00"}])
    assert fired([night], basket(line(1, 1), at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))) == ["night"]
    assert fired([night], basket(line(1, 1), at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))) == []


def test_a_date_range_holds_on_its_first_and_last_local_day_inclusive(fired):
    march = rule("march", conditions=[{"kind": "date_range", "start": "2026-03-01", "end": "2026-03-31"}])
    last_evening_utc = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April 00:30 in Berlin (UTC+2 from 29 March)
    assert fired([march], basket(line(1, 1), at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC))) == ["march"]
    assert fired([march], basket(line(1, 1), at=datetime(2026, 3, 31, 21, 30, tzinfo=UTC))) == ["march"]
    assert fired([march], basket(line(1, 1), at=last_evening_utc)) == []


def test_line_conditions_pick_the_lines_the_effect_applies_to():
    from tests.support.rules import evaluate
    coffee = rule("coffee", effect={"kind": "points_per_unit", "points": 1, "per_minor": 100},
                  conditions=[{"kind": "category", "values": ["coffee"]},
                              {"kind": "brand", "values": ["cheap"], "exclude": True},
                              {"kind": "quantity", "minimum": "2"},
                              {"kind": "line_amount", "maximum": 5000}])
    totals, _ = evaluate([coffee], basket(
        line(1, 1000, category="coffee", quantity="2"),
        line(2, 1000, category="coffee", brand="cheap", quantity="2"),
        line(3, 1000, category="tea", quantity="2"),
        line(4, 1000, category="coffee", quantity="1"),
        line(5, 6000, category="coffee", quantity="3")))
    assert totals == [10, 0, 0, 0, 0]


def test_sku_include_and_exclude_lists(fired):
    only = rule("only", conditions=[{"kind": "sku", "values": ["A"]}])
    but = rule("but", conditions=[{"kind": "sku", "values": ["A"], "exclude": True}])
    assert fired([only, but], basket(line(1, 100, sku="A"))) == ["only"]
    assert fired([only, but], basket(line(1, 100, sku="B"))) == ["but"]


def test_member_tier_segment_and_attribute_conditions(fired):
    rules = [rule("gold", conditions=[{"kind": "tier", "values": ["gold"]}]),
             rule("vip", conditions=[{"kind": "segment", "values": ["vip"]}]),
             rule("student", conditions=[{"kind": "attribute", "attribute": "status", "values": ["student"]}])]
    member = MemberFacts(tier_code="gold", segments=frozenset({"vip"}), attributes={"status": "student"})
    assert fired(rules, basket(line(1, 100)), member=member) == ["gold", "student", "vip"]
    assert fired(rules, basket(line(1, 100)), member=MemberFacts(tier_code="silver")) == []


def test_enrolment_age_counts_whole_days_since_enrolment(fired):
    young = rule("young", conditions=[{"kind": "enrolment_age", "maximum": 30}])
    at = datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert fired([young], basket(line(1, 1), at=at), member=MemberFacts(enrolled_at=datetime(2026, 1, 31, 12, tzinfo=UTC))) == ["young"]
    assert fired([young], basket(line(1, 1), at=at), member=MemberFacts(enrolled_at=datetime(2026, 1, 30, 11, tzinfo=UTC))) == []


def test_first_purchase_and_birthday_month_read_the_member_facts(fired):
    first = rule("first", conditions=[{"kind": "first_purchase"}])
    birthday = rule("birthday", conditions=[{"kind": "birthday_month"}])
    member = MemberFacts(first_purchase=True, birthday=date(1990, 3, 17))
    assert fired([first, birthday], basket(line(1, 1)), member=member) == ["birthday", "first"]
    assert fired([first, birthday], basket(line(1, 1)), member=MemberFacts(birthday=date(1990, 4, 1))) == []


def test_the_birthday_month_is_the_store_local_month(fired):
    birthday = rule("birthday", conditions=[{"kind": "birthday_month"}])
    march_first_local = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert fired([birthday], basket(line(1, 1), at=march_first_local), member=MemberFacts(birthday=date(1990, 3, 9))) == ["birthday"]
