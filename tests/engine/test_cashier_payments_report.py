"""The auditor's check of cashiers' payments with points: each cashier who took payments with
points (holds captured) in a store is listed with how many, the points spent, how many were
with the cashier's own card, and their sales in the same days; payments with the cashier's
own card come first. Holds without a cashier, not captured, or outside the window do not
count; a hold naming a cashier that is not a short text is refused and writes nothing."""
import pytest

from engine import reports
from engine.rules import segments
from engine.errors import InvalidInput
from engine.ledger.commands import CaptureHold, PlaceHold, VoidHold
from engine.ledger.holds import capture_hold, place_hold, void_hold
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture
def pay(database, clock, till):
    """``pay(member, 100, cashier="0042")``: a payment with points at the test till, captured
    (``then="void"``: voided; ``then=None``: left pending)."""
    def run(member, points: int, *, cashier: str | None = None, then: str | None = "capture"):
        placed = place_hold(database, PlaceHold(till.store_code, till.code, points, member_id=member.public_id,
                                                cashier=cashier), caller="S1-T1", idempotency_key=new_key(),
                            now=clock())
        if then == "capture":
            capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
        elif then == "void":
            void_hold(database, VoidHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
        return placed
    return run


def _listed(database, clock, **query) -> list[tuple]:
    return [(p.store_code, p.cashier, p.payments, p.points, p.own_card, p.sales)
            for p in reports.cashier_payments(database, as_of=clock(), **query)]


def test_each_cashiers_payments_are_listed_those_with_their_own_card_first(database, clock, make_member, earn, pay):
    employee, customer = make_member(points=1000), make_member(points=1000)
    segments.set_member_attribute(database, employee.public_id, "cashier", "0042")
    earn(customer, 2000, cashier="0042")
    for _ in range(3):
        earn(customer, 2000, cashier="0007")
    pay(employee, 100, cashier="0042")  # the cashier's own card
    pay(customer, 50, cashier="0042")
    pay(customer, 300, cashier="0007")
    pay(customer, 200, cashier="0007")

    assert _listed(database, clock) == [("S1", "0042", 2, 150, 1, 1), ("S1", "0007", 2, 500, 0, 3)]


def test_holds_without_a_cashier_not_captured_or_before_the_window_do_not_count(database, clock, make_member, pay):
    member = make_member(points=1000)
    pay(member, 100, cashier="0042")
    pay(member, 100)
    pay(member, 100, cashier="0042", then="void")
    pay(member, 100, cashier="0042", then=None)
    clock.advance(days=8)
    assert _listed(database, clock) == []
    assert _listed(database, clock, days=9) == [("S1", "0042", 1, 100, 0, 0)]


@pytest.mark.parametrize("cashier", ["", "x" * 33])
def test_a_hold_naming_a_cashier_that_is_no_short_text_is_refused(database, make_member, pay, cashier):
    member = make_member(points=1000)
    with refused_unchanged(database, InvalidInput) as refused:
        pay(member, 100, cashier=cashier)
    assert [p.field for p in refused.value.problems] == ["cashier"]
