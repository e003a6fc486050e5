"""The auditor's check of cashiers' returns: each cashier who rang up returns in a store is
listed with how many, for how much, the points taken back, their own sales in the same days
and how many of the returns were of sales they rang up themselves; returns without a
cashier, or outside the window, do not count; a return naming a cashier that is not a short
text is refused and writes nothing."""
from decimal import Decimal

import pytest

from engine import reports
from engine.errors import InvalidInput
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.refunds import refund_receipt
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture
def give_back(database, clock, till):
    """``give_back("R1", cashier="0042")``: line 1 of the receipt returned whole, now."""
    def run(receipt: str, *, cashier: str | None = None):
        command = RefundReceipt(till.store_code, till.code, receipt, (RefundLine(1, Decimal(1)),), clock(),
                                cashier=cashier)
        return refund_receipt(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())
    return run


def _listed(database, clock, **query) -> list[tuple]:
    return [(c.store_code, c.cashier, c.refunds, c.amount_minor, c.points_reversed, c.sales, c.own_sales_refunded)
            for c in reports.cashier_refunds(database, as_of=clock(), **query)]


def test_each_cashiers_returns_are_listed_with_their_sales(database, clock, make_member, earn,
                                                                            give_back):
    ada, bob = make_member(), make_member()
    for n in range(3):
        earn(ada, 2000, receipt=f"A{n}", cashier="0042")
    earn(bob, 5000, receipt="B0", cashier="0007")
    give_back("A0", cashier="0042")  # the cashier's own sale
    give_back("A1", cashier="0007")
    give_back("A2", cashier="0007")
    give_back("B0", cashier="0042")

    # as many returns each: the larger amount first
    assert _listed(database, clock) == [("S1", "0042", 2, 7000, 70, 3, 1),
                                        ("S1", "0007", 2, 4000, 40, 1, 0)]


def test_returns_without_a_cashier_or_before_the_window_do_not_count(database, clock, make_member, earn, give_back):
    ada = make_member()
    earn(ada, 2000, receipt="R1", cashier="0042")
    earn(ada, 2000, receipt="R2", cashier="0042")
    give_back("R1", cashier="0042")
    give_back("R2")
    clock.advance(days=8)
    assert _listed(database, clock) == []
    assert _listed(database, clock, days=9) == [("S1", "0042", 1, 2000, 20, 2, 1)]


@pytest.mark.parametrize("cashier", ["", "x" * 33])
def test_a_return_naming_a_cashier_that_is_no_short_text_is_refused(database, make_member, earn, give_back,
                                                                    cashier):
    earn(make_member(), 2000, receipt="R1")
    with refused_unchanged(database, InvalidInput) as refused:
        give_back("R1", cashier=cashier)
    assert [p.field for p in refused.value.problems] == ["cashier"]
