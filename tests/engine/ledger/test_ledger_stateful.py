"""Random sequences of earn / hold / capture / void / refund / expire / adjust / retry,
with every invariant checked after every step (on SQLite; the race test covers PostgreSQL)."""
from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, consumes, initialize, invariant, multiple, rule,
                                 run_state_machine_as_test)

from engine import members, stores
from engine.database import Database
from engine.errors import (HoldAlreadyResolved, HoldExpired, InsufficientPoints, LoyaltyError, ReceiptAlreadyEarned,
                           RefundExceedsPurchase, RefundWouldOverdraw)
from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt, VoidHold
from engine.ledger.earning import earn_points
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import capture_hold, place_hold, release_lapsed_holds, void_hold
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.settings import update_settings
from tests.support.clock import Clock

# (a capture naming a receipt that has earned is refused: ReceiptAlreadyEarned)
EXPECTED_REFUSALS = (InsufficientPoints, HoldAlreadyResolved, HoldExpired, RefundExceedsPurchase, RefundWouldOverdraw,
                     ReceiptAlreadyEarned)


class LedgerMachine(RuleBasedStateMachine):
    template: Path  # set by the test: a migrated SQLite database to copy

    members = Bundle("members")
    holds = Bundle("holds")
    receipts = Bundle("receipts")
    open_sales = Bundle("open_sales")  # receipt numbers of sales a till has begun: paid for, then earning

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="ledger-machine-"))
        shutil.copyfile(self.template, self.folder / "db.sqlite3")
        self.db = Database(f"sqlite:///{self.folder / 'db.sqlite3'}")
        self.clock = Clock()
        self.keys = 0
        self.sent: list[tuple] = []  # (call, answer) of earlier requests, to retry

    def teardown(self):
        self.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def send(self, call, command, caller="till"):
        self.keys += 1
        key = f"key-{self.keys}"
        try:
            answer = call(self.db, command, caller=caller, idempotency_key=key, now=self.clock())
        except LoyaltyError as refusal:
            answer = refusal
        self.sent.append((call, command, caller, key, answer))
        if isinstance(answer, LoyaltyError) and not isinstance(answer, EXPECTED_REFUSALS):
            raise answer
        return answer

    @initialize(target=members, policy=st.sampled_from(["allow_negative", "write_off", "refuse"]),
                pending_days=st.sampled_from([0, 14]))
    def programme(self, policy, pending_days):
        update_settings(self.db, {"negative_balance_policy": policy, "pending_days": pending_days}, now=self.clock())
        stores.create_store(self.db, code="S", name="S", timezone="UTC", now=self.clock())
        stores.create_terminal(self.db, code="T", store_code="S", now=self.clock())
        return self.enrol()

    @rule(target=members)
    def enrol(self):
        member = members.enrol_member(self.db, full_name="Member", now=self.clock()).public_id
        self.send(adjust_points, AdjustPoints(member, 300, "welcome", "machine"), caller="staff")
        return member

    @rule(target=open_sales)
    def open_sale(self):
        self.keys += 1
        return f"O{self.keys}"

    @rule(target=receipts, member=members,
          lines=st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 3)), min_size=1, max_size=3),
          paid_share=st.sampled_from([0, 0, 1, 2]), days_ago=st.integers(0, 30), opened=st.none() | open_sales)
    def earn(self, member, lines, paid_share, days_ago, opened):
        receipt = opened or f"R{self.keys}"
        basket_lines = tuple(BasketLine(i + 1, f"SKU{i}", Decimal(q), amount) for i, (amount, q) in enumerate(lines))
        total = sum(amount for amount, _ in lines)
        basket = Basket("S", "T", receipt, self.clock() - timedelta(days=days_ago), "EUR", basket_lines,
                        paid_with_points_minor=total * paid_share // 4, member_id=member)
        answer = self.send(earn_points, basket)
        return multiple() if isinstance(answer, LoyaltyError) else (receipt, tuple(q for _, q in lines))

    @rule(target=holds, member=members, points=st.integers(1, 120))
    def hold(self, member, points):
        answer = self.send(place_hold, PlaceHold("S", "T", points, member_id=member))
        return multiple() if isinstance(answer, LoyaltyError) else (answer.hold_id, points)

    @rule(hold=consumes(holds), part=st.integers(0, 2), receipt=st.none() | open_sales | receipts)
    def capture(self, hold, part, receipt):
        hold_id, points = hold
        number = receipt[0] if isinstance(receipt, tuple) else receipt  # (an earned receipt's is refused)
        self.send(capture_hold, CaptureHold(hold_id, None if part == 0 else max(1, points // part), number))

    @rule(hold=holds)
    def void(self, hold):
        self.send(void_hold, VoidHold(hold[0]))

    @rule(receipt=receipts, line=st.integers(1, 3), quantity=st.sampled_from(["1", "0.5", "2"]))
    def refund(self, receipt, line, quantity):
        number, quantities = receipt
        if line <= len(quantities):
            self.send(refund_receipt, RefundReceipt("S", "T", number, (RefundLine(line, Decimal(quantity)),),
                                                    self.clock()))

    @rule(member=members, points=st.integers(-150, 300).filter(bool))
    def adjust(self, member, points):
        self.send(adjust_points, AdjustPoints(member, points, "stateful test", "machine"), caller="staff")

    @rule(days=st.sampled_from([0, 1, 15, 200, 400]), minutes=st.sampled_from([1, 20]))
    def time_passes(self, days, minutes):
        self.clock.advance(days=days, minutes=minutes)

    @rule()
    def nightly_jobs(self):
        expire_lots(self.db, as_of=self.clock())
        release_lapsed_holds(self.db, as_of=self.clock())

    @rule(data=st.data())
    def retry(self, data):
        if not self.sent:
            return
        call, command, caller, key, first = data.draw(st.sampled_from(self.sent))
        try:
            again = call(self.db, command, caller=caller, idempotency_key=key, now=self.clock())
        except LoyaltyError as refusal:
            again = refusal
        if isinstance(first, LoyaltyError):
            assert type(again) is type(first) and again.message == first.message
        else:
            assert again == first

    @invariant()
    def ledger_is_sound(self):
        assert check_ledger(self.db) == []

    @invariant()
    def nobody_can_spend_more_than_they_have(self):
        for member in members.list_members(self.db, limit=1000):
            balance = get_balance(self.db, member.public_id, as_of=self.clock())
            assert balance.available >= 0 and balance.reserved >= 0 and balance.pending >= 0
            assert balance.available + balance.reserved + balance.pending <= max(balance.balance, 0) + balance.reserved


def test_random_ledger_histories_keep_every_invariant(sqlite_template):
    LedgerMachine.template = sqlite_template
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=max(15, settings().max_examples // 3), stateful_step_count=40, deadline=None))
