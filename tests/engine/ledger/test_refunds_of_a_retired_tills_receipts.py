"""A receipt names the till that made the sale, retired since or not: its return takes back
what it earned (the till taking the return is checked where it authenticates)."""
from decimal import Decimal

from engine import stores
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from tests.conftest import new_key


def test_a_receipt_of_a_retired_till_is_refunded(database, clock, make_member, earn, till):
    earn(make_member(), 1000, receipt="R1")
    stores.retire_terminal(database, till.code)
    command = RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, Decimal(1)),), clock())
    refunded = refund_receipt(database, command, caller="staff:sam", idempotency_key=new_key(), now=clock())
    assert (refunded.points_reversed, refunded.amount_minor) == (10, 1000)
    assert check_ledger(database) == []
