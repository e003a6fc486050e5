"""The ledger's commands (what a caller asks for) and results (what it gets back).

Commands are imperatives, results past tense. Both are plain frozen dataclasses: commands
are fingerprinted for idempotency, results are stored and replayed unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from engine.ledger.basket import LinePoints
from engine.rules.awards import RuleAward


@dataclass(frozen=True)
class PlaceHold:
    store_code: str
    terminal_code: str
    points: int
    member_id: str | None = None
    card_number: str | None = None
    receipt_number: str | None = None  # the sale it pays for, if known already (capture may name it)
    card_session: str | None = None  # at a till: the card session whose card pays (one that may pay with points)
    cashier: str | None = None  # who took the payment: the till's operator id, for the fraud checks


@dataclass(frozen=True)
class CaptureHold:
    hold_id: str
    points: int | None = None  # None: the whole hold
    receipt_number: str | None = None  # the sale the points paid for (refunds give them back)
    store_code: str | None = None  # when given, the hold must have been placed in this store


@dataclass(frozen=True)
class VoidHold:
    hold_id: str
    store_code: str | None = None  # when given, the hold must have been placed in this store


@dataclass(frozen=True)
class ReturnPayment:
    hold_id: str
    store_code: str  # the hold must have been placed in this store


@dataclass(frozen=True)
class RefundLine:
    line_no: int
    quantity: Decimal


@dataclass(frozen=True)
class RefundReceipt:
    store_code: str
    terminal_code: str
    receipt_number: str
    lines: tuple[RefundLine, ...]
    occurred_at: datetime
    cashier: str | None = None  # who rang the return up: the till's operator id, for the fraud checks


@dataclass(frozen=True)
class AdjustPoints:
    member_id: str
    points: int  # positive: credit; negative: debit
    reason: str
    actor: str


@dataclass(frozen=True)
class PointsEarned:
    member_id: str
    store_code: str
    terminal_code: str
    receipt_number: str
    points: int
    lines: list[LinePoints]
    available_at: datetime
    expires_at: datetime | None
    transaction_id: int | None
    balance: int
    rules: list[RuleAward] = field(default_factory=list)  # what each rule version gave, base first


@dataclass(frozen=True)
class HoldPlaced:
    hold_id: str
    member_id: str
    points: int
    value_minor: int  # what the held points pay, in minor units of the programme currency
    deadline: datetime
    available: int  # points still available after the hold


@dataclass(frozen=True)
class HoldCaptured:
    hold_id: str
    member_id: str
    points: int
    released: int
    value_minor: int
    transaction_id: int
    balance: int


@dataclass(frozen=True)
class HoldVoided:
    hold_id: str
    member_id: str
    released: int


@dataclass(frozen=True)
class PaymentReturned:
    hold_id: str
    member_id: str
    points: int  # given back: all the hold's capture took
    transaction_id: int
    balance: int


@dataclass(frozen=True)
class ReceiptRefunded:
    member_id: str
    receipt_number: str
    amount_minor: int
    points_reversed: int
    points_returned: int
    points_written_off: int
    debt_created: int
    transaction_id: int | None
    balance: int
    # of points_reversed, what had expired from the sale's points already: taken back from the
    # expiry account, not from the member (0 in answers stored before 2026-12-07)
    points_expired: int = 0


@dataclass(frozen=True)
class PointsAdjusted:
    member_id: str
    points: int
    reason: str
    actor: str
    transaction_id: int
    balance: int
