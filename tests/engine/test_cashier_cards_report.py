"""The auditor's check of cashiers and cards: a card earning on many of one cashier's sales
is listed with how many of the cashier's sales it took; a cashier's own card (the member's
``cashier`` attribute names the operator) is listed first, from its first sale; sales
without a cashier, or outside the window, do not count; a sale naming a cashier that is not
a short text is refused and writes nothing."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine import reports
from engine.errors import InvalidInput
from engine.orm.ledger import ReceiptRow
from engine.rules.segments import set_member_attribute


def _listed(database, clock, **query) -> list[tuple]:
    return [(c.store_code, c.cashier, c.member_id, c.sales, c.points, c.cashier_sales, c.own_card)
            for c in reports.cashier_cards(database, as_of=clock(), **query)]


def test_a_card_earning_on_at_least_the_threshold_of_one_cashiers_sales_is_listed_with_the_cashiers_sales(
        database, clock, make_member, earn):
    friend, customer = make_member(), make_member()
    for _ in range(5):
        earn(friend, 1000, cashier="0042")
    for _ in range(2):
        earn(customer, 3000, cashier="0042")
    for _ in range(4):
        earn(customer, 1000, cashier="0007")
    assert _listed(database, clock, min_sales=5) == [("S1", "0042", friend.public_id, 5, 50, 7, False)]
    assert _listed(database, clock, min_sales=4) == [("S1", "0042", friend.public_id, 5, 50, 7, False),
                                                     ("S1", "0007", customer.public_id, 4, 40, 4, False)]


def test_the_cashiers_own_card_is_listed_first_from_its_first_sale(database, clock, make_member, earn):
    cashier, friend = make_member(), make_member()
    set_member_attribute(database, cashier.public_id, reports.CASHIER_ATTRIBUTE, "0042")
    for _ in range(3):
        earn(friend, 1000, cashier="0042")
    earn(cashier, 500, cashier="0042")
    earn(cashier, 700, cashier="0007")  # bought at a colleague's till: not their own sale
    assert _listed(database, clock, min_sales=3) == [("S1", "0042", cashier.public_id, 1, 5, 4, True),
                                                     ("S1", "0042", friend.public_id, 3, 30, 4, False)]


def test_sales_without_a_cashier_or_before_the_window_do_not_count(database, clock, make_member, earn):
    member = make_member()
    for _ in range(3):
        earn(member, 1000)
    for _ in range(3):
        earn(member, 1000, cashier="0042", occurred_at=clock() - timedelta(days=8))
    for _ in range(2):
        earn(member, 1000, cashier="0042")
    assert _listed(database, clock, min_sales=3) == []
    assert _listed(database, clock, min_sales=2) == [("S1", "0042", member.public_id, 2, 20, 2, False)]
    assert _listed(database, clock, min_sales=2, days=9) == [("S1", "0042", member.public_id, 5, 50, 5, False)]


def test_the_list_is_cut_at_the_limit(database, clock, make_member, earn):
    busy, busier = make_member(), make_member()
    for member, count in ((busy, 2), (busier, 3)):
        for _ in range(count):
            earn(member, 1000, cashier="0042")
    assert [c.member_id for c in reports.cashier_cards(database, as_of=clock(), min_sales=2, limit=1)] == \
        [busier.public_id]


@pytest.mark.parametrize("cashier", ["", " 0042", "0042 ", "x" * 33, 42])
def test_a_sale_naming_a_cashier_that_is_not_a_short_text_is_refused_and_writes_nothing(database, clock,
                                                                                      make_member, earn, cashier):
    with pytest.raises(InvalidInput) as refused:
        earn(make_member(), 1000, cashier=cashier)
    assert [p.field for p in refused.value.problems] == ["cashier"]
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)) == 0
