"""A till's accrual on PostgreSQL reads the member's facts (first purchase, capped rules'
usage, the tier window) in its first statement, the one that locks the member's account. That
statement reads with the snapshot it started with: when it waited for the lock, a sale or a
refund of the same member may have committed meanwhile. These races are run for real (the
first sale held inside its transaction, the second waiting for the account's lock, seen
waiting in ``pg_stat_activity``) and the second sale must see what the first committed, also
when the first moved no points: a first purchase that earned nothing, a refund that took
none back."""
from __future__ import annotations

import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
import sqlalchemy as sa

from engine.ledger import refunds
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.rules.versions import create_draft, publish_rules
from engine.snapshot import current_programme, pinned
from tests.conftest import new_key
from tests.support.statements import statements_by_thread

pytestmark = [pytest.mark.postgres]

# 500 points on the member's first purchase of 10.00 or more; the base rate gives a point a euro
FIRST_OVER_TEN = {"key": "first", "name": "First purchase", "effect": {"kind": "fixed_per_transaction", "points": 500},
                  "conditions": [{"kind": "first_purchase"}, {"kind": "basket_total", "minimum": 1000}]}


@pytest.fixture
def database(postgres_db, clock):
    create_draft(postgres_db, FIRST_OVER_TEN, now=clock())
    publish_rules(postgres_db, ["first"], now=clock())
    return postgres_db


@pytest.fixture
def buy(database, till, clock):
    """``buy(card, amount, receipt)``: a till's accrual by card (the card and the account read
    with the key's claim), pinned to the programme as a till's request is; its points."""
    def run(card, amount: int, receipt: str, verify=None) -> int:
        basket = Basket(till.store_code, till.code, receipt, clock(), "EUR",
                        (BasketLine(1, "SKU1", Decimal(1), amount),), card_number=card.number)
        with pinned(database, current_programme(database)):
            return earn_points(database, basket, caller=till.code, idempotency_key=new_key(), now=clock(),
                               verify=verify).points
    return run


def _race(database, first, second) -> tuple[object, object, list[str]]:
    """Run ``first(hold)`` on a thread until it calls ``hold()`` (inside its transaction,
    holding the member's account), then ``second()`` on another until it waits for a lock,
    then let the first go on: both results, and the statements the second sent."""
    holding, go_on, results, raised = threading.Event(), threading.Event(), {}, []

    def hold():
        holding.set()
        assert go_on.wait(30), "the test never let the first sale go on"

    def run(name, action):
        try:
            results[name] = action()
        except BaseException as error:  # for the test to see
            raised.append(error)
            holding.set()
    with statements_by_thread() as statements:
        threads = [threading.Thread(target=run, args=("first", lambda: first(hold)), name="first")]
        threads[0].start()
        assert holding.wait(30) and not raised, raised
        threads.append(threading.Thread(target=run, args=("second", second), name="second"))
        threads[1].start()
        try:
            _until_a_lock_is_waited_for(database)
        finally:
            go_on.set()
            for thread in threads:
                thread.join(60)
    assert not raised, raised
    return results["first"], results["second"], statements["second"]


def _until_a_lock_is_waited_for(database) -> None:
    with database.engine.connect() as connection:
        for _ in range(600):
            if connection.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()")).scalar():
                return
            connection.rollback()
            time.sleep(0.05)
    raise AssertionError("the second sale never waited for the member's account")


def _facts_read_on_their_own(statements: list[str]) -> int:
    return sum(s.startswith("SELECT") and "FROM member_attributes" in s and "FROM cards" not in s for s in statements)


def test_a_sale_without_a_race_reads_the_members_facts_with_the_card(database, buy, make_card):
    card = make_card()
    buy(card, 2000, "R0")  # (the rules compiled, the configuration kept)
    with statements_by_thread() as statements:
        assert buy(card, 2000, "R1") == 20
    sent = statements[threading.current_thread().name]
    assert _facts_read_on_their_own(sent) == 0, "\n".join(sent)
    assert sum("FROM member_attributes" in s and "FROM cards" in s for s in sent) == 1, "\n".join(sent)


# 20.00 earns its 20 points and the bonus; 0.50 earns no point and no bonus, and is the
# member's first purchase all the same: it writes no posting, so its receipt's statement
# writes the account's row unchanged
@pytest.mark.parametrize("amount, earned", [(2000, 520), (50, 0)], ids=["earning points", "earning nothing"])
def test_a_sale_that_waited_for_a_first_purchase_is_not_the_first(database, buy, make_card, amount, earned):
    card = make_card()
    first, second, sent = _race(database, lambda hold: buy(card, amount, "R1", verify=lambda _: hold()),
                                lambda: buy(card, 2000, "R2"))
    assert (first, second) == (earned, 20)
    assert _facts_read_on_their_own(sent) == 1, "\n".join(sent)
    assert check_ledger(database) == []


def test_a_sale_that_waited_for_a_refund_moving_no_points_is_the_first_again(database, buy, make_card, till, clock):
    # The only purchase, 0.50 and no point, brought back in full: the next sale is the first
    # again. The refund moves no points, so it writes the account's row unchanged.
    card = make_card()
    assert buy(card, 50, "R0") == 0
    record_event = refunds.record_event

    def refund(hold):
        def recorded(session, kind, *args, **kwargs):
            record_event(session, kind, *args, **kwargs)
            hold()  # (the refund written, its transaction not committed)
        with mock.patch.object(refunds, "record_event", recorded):
            return refunds.refund_receipt(database, RefundReceipt(
                till.store_code, till.code, "R0", (RefundLine(1, Decimal(1)),), clock()),
                caller=till.code, idempotency_key=new_key(), now=clock()).points_reversed
    reversed_points, second, sent = _race(database, refund, lambda: buy(card, 2000, "R2"))
    assert (reversed_points, second) == (0, 520)
    assert _facts_read_on_their_own(sent) == 1, "\n".join(sent)
    assert check_ledger(database) == []
