"""Accruals evaluate the published rules in force at the sale's instant, record points per line
and per rule version, and refunds reverse per line exactly what was recorded."""
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import stores
from engine.errors import InvalidInput
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.orm.rules import ReceiptRuleAwardRow
from engine.rules.calculator import simulate
from engine.rules.versions import create_draft, publish_rules, retire_rule
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.conftest import new_key


def publish(database, clock, *definitions):
    for d in definitions:
        create_draft(database, d, now=clock())
    publish_rules(database, [d["key"] for d in definitions], now=clock())


def sale(till, member, clock, *lines, at=None, receipt=None):
    return Basket(till.store_code, till.code, receipt or new_key()[:20], at or clock(), "EUR", tuple(lines),
                  member_id=member.public_id)


def coffee_line(no, amount, category="coffee", quantity="1"):
    return BasketLine(no, f"SKU{no}", Decimal(quantity), amount, category)


TRIPLE_COFFEE = {"key": "triple-coffee", "name": "Triple coffee", "effect": {"kind": "multiplier", "factor": "3"},
                 "conditions": [{"kind": "category", "values": ["coffee"]}]}
FIRST = {"key": "first", "name": "First purchase", "effect": {"kind": "fixed_per_transaction", "points": 500},
         "conditions": [{"kind": "first_purchase"}]}


def test_without_published_rules_a_sale_earns_the_base_rate_recorded_as_the_base_entry(database, make_member, earn):
    earned = earn(make_member(), 1099, 501)
    assert earned.points == 16 and [(a.rule_key, a.version, a.applied) for a in earned.rules] == [("base", None, 16)]


def test_a_sale_earns_by_the_rules_and_returns_the_breakdown_per_rule_version(database, clock, till, make_member):
    publish(database, clock, TRIPLE_COFFEE, FIRST)
    member = make_member()
    earned = earn_points(database, sale(till, member, clock, coffee_line(1, 1000), coffee_line(2, 1000, "tea")),
                         caller="t", idempotency_key=new_key(), now=clock())
    assert [(a.rule_key, a.version, a.applied) for a in earned.rules] == [
        ("base", None, 20), ("first", 1, 500), ("triple-coffee", 1, 20)]
    assert earned.points == 540 and [line.points for line in earned.lines] == [280, 260]
    with database.transaction() as session:
        given = dict(session.execute(sa.select(ReceiptRuleAwardRow.rule_key, ReceiptRuleAwardRow.line_points)).all())
        assert given == {"base": [[1, 10], [2, 10]], "first": [[1, 250], [2, 250]], "triple-coffee": [[1, 20]]}
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRuleAwardRow)
                              .where(ReceiptRuleAwardRow.rule_version_id.is_not(None))) == 2
    second = earn_points(database, sale(till, member, clock, coffee_line(1, 1000)), caller="t",
                         idempotency_key=new_key(), now=clock())
    assert [a.rule_key for a in second.rules] == ["base", "triple-coffee"]  # no longer the first purchase
    assert check_ledger(database) == []


def test_the_sale_time_not_the_arrival_time_decides_which_version_applies(database, clock, till, make_member):
    member = make_member()
    earn_points(database, sale(till, member, clock, coffee_line(1, 100)), caller="t", idempotency_key=new_key(),
                now=clock())
    sold_before = clock()
    clock.advance(hours=1)
    publish(database, clock, TRIPLE_COFFEE)
    late = earn_points(database, sale(till, member, clock, coffee_line(1, 1000), at=sold_before + timedelta(minutes=5)),
                       caller="t", idempotency_key=new_key(), now=clock())
    assert late.points == 10
    retire_rule(database, "triple-coffee", now=clock.advance(hours=1))
    during = earn_points(database, sale(till, member, clock, coffee_line(1, 1000), at=clock() - timedelta(minutes=30)),
                         caller="t", idempotency_key=new_key(), now=clock())
    assert during.points == 30


def test_a_daily_member_cap_spans_the_receipts_of_the_store_local_day(database, clock, till, make_member):
    publish(database, clock, {"key": "bonus", "name": "Bonus", "limits": {"per_member_day": 2000},
                              "effect": {"kind": "fixed_per_transaction", "points": 1500}})
    member = make_member()

    def bonus_of(when):
        earned = earn_points(database, sale(till, member, clock, coffee_line(1, 1), at=when), caller="t",
                             idempotency_key=new_key(), now=clock.advance(days=2))
        (award,) = [a for a in earned.rules if a.rule_key == "bonus"]
        return award.desired, award.applied
    day = clock()
    assert bonus_of(day) == (1500, 1500)
    assert bonus_of(day + timedelta(hours=5)) == (1500, 500)
    assert bonus_of(day + timedelta(hours=6)) == (1500, 0)
    assert bonus_of(day + timedelta(hours=14)) == (1500, 1500)  # 00:00 next day in Berlin


def test_the_birthday_month_bonus_reads_the_member_profile(database, clock, till, make_member):
    publish(database, clock, {"key": "birthday", "name": "Birthday", "conditions": [{"kind": "birthday_month"}],
                              "effect": {"kind": "fixed_per_transaction", "points": 200}})
    march, june = make_member(birthday=date(1990, 3, 20)), make_member(birthday=date(1990, 6, 1))
    assert earn_points(database, sale(till, march, clock, coffee_line(1, 100)), caller="t",
                       idempotency_key=new_key(), now=clock()).points == 201
    assert earn_points(database, sale(till, june, clock, coffee_line(1, 100)), caller="t",
                       idempotency_key=new_key(), now=clock()).points == 1


def test_a_refund_reverses_per_line_exactly_what_the_rules_recorded(database, clock, till, make_member):
    publish(database, clock, TRIPLE_COFFEE, FIRST)
    member = make_member()
    basket = sale(till, member, clock, coffee_line(1, 1000, quantity="2"), coffee_line(2, 1000, "tea"), receipt="R-9")
    earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    refund = refund_receipt(database, RefundReceipt(till.store_code, till.code, "R-9", (RefundLine(1, Decimal(1)),),
                                                    clock()), caller="t", idempotency_key=new_key(), now=clock())
    assert refund.points_reversed == earned.lines[0].points // 2
    rest = refund_receipt(database, RefundReceipt(till.store_code, till.code, "R-9",
                                                  (RefundLine(1, Decimal(1)), RefundLine(2, Decimal(1))), clock()),
                          caller="t", idempotency_key=new_key(), now=clock())
    assert refund.points_reversed + rest.points_reversed == earned.points
    assert check_ledger(database) == []


def test_a_first_purchase_brought_back_in_full_leaves_the_next_sale_the_first(database, clock, till, make_member):
    # The refund took the first-purchase bonus back with the rest; the purchase that stands
    # is the next one, and it earns the bonus (once: it is refunded only in part).
    publish(database, clock, FIRST)
    member = make_member()

    def buy(receipt):
        return earn_points(database, sale(till, member, clock, coffee_line(1, 1000), coffee_line(2, 1000, "tea"),
                                          receipt=receipt), caller="t", idempotency_key=new_key(), now=clock())

    def bring_back(receipt, *line_nos):
        refund_receipt(database, RefundReceipt(till.store_code, till.code, receipt,
                                               tuple(RefundLine(n, Decimal(1)) for n in line_nos), clock()),
                       caller="t", idempotency_key=new_key(), now=clock())

    assert buy("R-1").points == 520
    bring_back("R-1", 1, 2)
    assert buy("R-2").points == 520
    bring_back("R-2", 2)
    assert buy("R-3").points == 20
    assert check_ledger(database) == []


def test_a_first_purchase_of_nothing_is_still_a_purchase(database, clock, till, make_member):
    # A basket of free items is the member's first purchase: a till cannot ring up empty
    # baskets to collect the first-purchase bonus again and again.
    publish(database, clock, FIRST)
    member = make_member()
    earned = [earn_points(database, sale(till, member, clock, coffee_line(1, 0)), caller="t",
                          idempotency_key=new_key(), now=clock()).points for _ in range(2)]
    assert earned == [500, 0]


def test_a_channel_rule_earns_on_sales_of_its_channel_only(database, clock, make_member, make_basket):
    online = {"key": "web-bonus", "name": "Online bonus", "effect": {"kind": "fixed_per_transaction", "points": 30},
              "conditions": [{"kind": "channel", "values": ["online"]}]}
    create_draft(database, online, now=clock())
    publish_rules(database, ["web-bonus"], now=clock())
    clock.advance(seconds=1)
    member = make_member()
    in_store = make_basket(member, 1000)
    web = replace(make_basket(member, 1000), channel="online")
    assert earn_points(database, in_store, caller="t", idempotency_key=new_key(), now=clock()).points == 10
    assert earn_points(database, web, caller="t", idempotency_key=new_key(), now=clock()).points == 40


def test_an_online_stores_sales_are_online_to_the_rules_whatever_the_basket_says(database, clock, make_member):
    create_draft(database, {"key": "web-bonus", "name": "Online bonus", "conditions": [
        {"kind": "channel", "values": ["online"]}], "effect": {"kind": "fixed_per_transaction", "points": 30}},
        now=clock())
    publish_rules(database, ["web-bonus"], now=clock())
    clock.advance(seconds=1)
    stores.create_store(database, code="WEB", name="Web shop", timezone="Europe/Berlin", channel="online", now=clock())
    stores.create_terminal(database, code="WEB-1", store_code="WEB", now=clock())
    member = make_member()
    basket = Basket("WEB", "WEB-1", "W-1", clock(), "EUR", (BasketLine(1, "BOOK", Decimal(1), 1000),),
                    member_id=member.public_id)  # channel left at "store"
    assert simulate(database, basket, now=clock(), member_id=member.public_id).points == 40
    assert earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock()).points == 40


def test_an_unknown_channel_is_refused(database, clock, make_member, make_basket):
    basket = replace(make_basket(make_member(), 1000), channel="fax")
    with pytest.raises(InvalidInput) as refused:
        earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    assert [p.field for p in refused.value.problems] == ["channel"]


def test_one_tier_multiplier_rule_gives_each_tier_its_own_factor(database, clock, make_member, make_basket):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 10**6, Decimal("1.5"))],
                 TierPolicy(), now=clock())
    create_draft(database, {"key": "tier-boost", "name": "Your tier's multiplier", "priority": -10,
                            "effect": {"kind": "tier_multiplier"}}, now=clock())
    publish_rules(database, ["tier-boost"], now=clock())
    clock.advance(seconds=1)
    gold, basic = make_member(), make_member()
    assign_tier(database, gold.public_id, "gold", reason="test", actor="tests", now=clock())
    assign_tier(database, basic.public_id, "basic", reason="test", actor="tests", now=clock())
    for member, expected in ((gold, 15), (basic, 10)):
        earned = earn_points(database, make_basket(member, 1000), caller="t", idempotency_key=new_key(), now=clock())
        assert earned.points == expected


def test_weekly_and_monthly_caps_count_every_receipt_of_every_day_so_far(database, clock, till, make_member):
    publish(database, clock, {"key": "weekly", "name": "Weekly", "limits": {"per_member_week": 1000},
                              "effect": {"kind": "fixed_per_transaction", "points": 150}},
            {"key": "monthly", "name": "Monthly", "limits": {"per_member_month": 1300},
             "effect": {"kind": "fixed_per_transaction", "points": 100}})
    member = make_member()
    monday = clock.advance(minutes=1)  # Monday 2 March 2026, 11:01 in Berlin
    clock.advance(days=20)  # the receipts arrive later, in the order of their sales

    def applied_on(when):
        earned = earn_points(database, sale(till, member, clock, coffee_line(1, 1), at=when), caller="t",
                             idempotency_key=new_key(), now=clock())
        return {a.rule_key: a.applied for a in earned.rules if a.rule_key != "base"}
    # three receipts a day on Monday and Tuesday: 6 x 150 = 900 of the week's 1,000
    for day in (0, 1):
        for hour in (0, 1, 2):
            assert applied_on(monday + timedelta(days=day, hours=hour)) == {"weekly": 150, "monthly": 100}
    assert applied_on(monday + timedelta(days=2)) == {"weekly": 100, "monthly": 100}  # the week's last 100
    assert applied_on(monday + timedelta(days=3)) == {"weekly": 0, "monthly": 100}
    assert applied_on(monday + timedelta(days=7)) == {"weekly": 150, "monthly": 100}  # a new week
    for hour in (1, 2, 3):
        applied_on(monday + timedelta(days=7, hours=hour))
    # the month has given 12 x 100 = 1,200 of its 1,300
    assert applied_on(monday + timedelta(days=8))["monthly"] == 100
    assert applied_on(monday + timedelta(days=8, hours=1))["monthly"] == 0
