from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import InvalidInput, InvalidState, NotFound, ReceiptAlreadyEarned
from engine.ledger.balances import get_balance, get_history
from engine.ledger.basket import BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.settings import update_settings
from engine.rules import versions
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


def test_a_basket_earns_the_base_rate_on_its_total_spread_over_its_lines(database, make_member, earn):
    earned = earn(make_member(), 1099, 501)
    assert earned.points == 16
    assert [(line.line_no, line.points) for line in earned.lines] == [(1, 11), (2, 5)]
    assert check_ledger(database) == []


def test_small_lines_earn_together_what_one_line_of_their_sum_would(make_member, earn):
    assert earn(make_member(), *[99] * 10).points == 9


def test_the_part_paid_with_points_does_not_earn(make_member, earn):
    earned = earn(make_member(), 600, 400, paid_with_points_minor=500)
    assert earned.points == 5
    assert [line.eligible_minor for line in earned.lines] == [300, 200]


def test_earned_points_are_pending_until_the_return_window_closes(database, clock, make_member, earn):
    member = make_member()
    earned = earn(member, 2500)
    assert earned.available_at == clock() + timedelta(days=14)
    now = get_balance(database, member.public_id, as_of=clock())
    assert (now.balance, now.pending, now.available) == (25, 25, 0)
    later = get_balance(database, member.public_id, as_of=earned.available_at)
    assert (later.pending, later.available) == (0, 25)


def test_a_late_basket_from_an_offline_till_counts_from_the_time_of_the_sale(database, clock, make_member, earn):
    sale = clock() - timedelta(days=20)
    earned = earn(make_member(), 1000, occurred_at=sale)
    assert earned.available_at == sale + timedelta(days=14) < clock()


def test_a_card_identifies_the_member(database, make_member, make_card, earn):
    member = make_member()
    card = make_card(member)
    assert earn(member, 1000, card_number=card.number).member_id == member.public_id


def test_a_receipt_earns_once_whatever_key_it_carries(database, make_member, make_basket, clock):
    basket = make_basket(make_member(), 1000)
    earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, ReceiptAlreadyEarned):
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())


def test_a_blocked_card_earns_nothing(database, make_member, make_card, make_basket, clock):
    member = make_member()
    card = make_card(member, status="blocked")
    with refused_unchanged(database, InvalidState, "card_blocked"):
        earn_points(database, make_basket(member, 1000, card_number=card.number), caller="S1-T1",
                    idempotency_key=new_key(), now=clock())


def test_an_unknown_card_is_refused(database, make_member, make_basket, clock):
    basket = make_basket(make_member(), 1000, card_number="9000000000000019")
    with refused_unchanged(database, NotFound, "unknown_card"):
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())


def test_an_unknown_member_is_refused(database, make_member, make_basket, clock):
    basket = make_basket(make_member(), 1000)
    with refused_unchanged(database, NotFound, "unknown_member"):
        earn_points(database, replace(basket, member_id="MNOSUCHMEMBER"), caller="S1-T1",
                    idempotency_key=new_key(), now=clock())


def test_a_terminal_of_another_store_is_refused(database, make_member, make_basket, make_store, clock):
    make_store("S2")
    basket = replace(make_basket(make_member(), 1000), store_code="S2")
    with refused_unchanged(database, NotFound, "unknown_terminal"):
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())


@pytest.mark.parametrize("change, field", [
    ({"currency": "USD"}, "currency"),
    ({"lines": ()}, "lines"),
    ({"lines": (BasketLine(1, "A", Decimal(1), -5),)}, "lines.0.amount_minor"),
    ({"lines": (BasketLine(1, "A", Decimal(0), 5),)}, "lines.0.quantity"),
    ({"lines": (BasketLine(1, "A", Decimal(1), 5), BasketLine(1, "B", Decimal(1), 5))}, "lines.1.line_no"),
    ({"paid_with_points_minor": 5000}, "paid_with_points_minor"),
    ({"receipt_number": ""}, "receipt_number"),
])
def test_an_invalid_basket_is_refused_with_the_field_named(database, make_member, make_basket, clock, change, field):
    basket = replace(make_basket(make_member(), 1000), **change)
    with refused_unchanged(database, InvalidInput) as refusal:
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert field in [p.field for p in refusal.value.problems]


def test_a_sale_in_the_future_is_refused(database, make_member, make_basket, clock):
    basket = make_basket(make_member(), 1000, occurred_at=clock() + timedelta(hours=1))
    with refused_unchanged(database, InvalidInput):
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())


def test_a_basket_that_earns_nothing_still_uses_up_its_receipt(database, make_member, make_basket, clock):
    basket = make_basket(make_member(), 50)
    earned = earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert (earned.points, earned.transaction_id) == (0, None)
    with pytest.raises(ReceiptAlreadyEarned):
        earn_points(database, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert check_ledger(database) == []


def test_the_history_explains_where_points_came_from(database, make_member, earn):
    member = make_member()
    earn(member, 1000, receipt="R-77")
    (item,) = get_history(database, member.public_id)
    assert (item.kind, item.points) == ("earn", 10) and "R-77" in item.description


def test_the_earn_rate_comes_from_the_programme_settings(database, clock, make_member, earn):
    update_settings(database, {"earn_points": 3, "earn_per_minor": 200}, now=clock())
    assert earn(make_member(), 1000).points == 15


def test_each_purchase_in_the_history_says_which_rules_gave_its_points(database, clock, make_member, earn):
    bonus = {"key": "big-basket", "name": "Big basket bonus", "effect": {"kind": "fixed_per_transaction", "points": 50},
             "conditions": [{"kind": "basket_total", "minimum": 2000}]}
    versions.create_draft(database, bonus, now=clock())
    versions.publish_rules(database, ["big-basket"], now=clock())
    clock.advance(seconds=1)
    member = make_member(points=5)
    earn(member, 2500)
    earn(member, 100)
    small, big, funding = get_history(database, member.public_id)
    assert [(r.name, r.points) for r in big.rules] == [("Base rate", 25), ("Big basket bonus", 50)]
    assert [(r.name, r.points) for r in small.rules] == [("Base rate", 1)]
    assert funding.rules == ()
