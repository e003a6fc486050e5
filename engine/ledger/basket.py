"""Baskets (what a till sends when a sale completes) and how they earn points.

Pure code. ``validate_basket`` returns every problem with a basket. ``PointsCalculator``
is the one interface through which points are computed per line: the programme's base
rate here (``BaseRateCalculator``); the rules engine will plug in behind the same interface.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from engine import instants
from engine.errors import Problem
from engine.ledger.allocation import split_proportionally
from engine.programme import ProgrammeSettings

MAX_LINES = 500
MAX_LINE_NO = 2**31 - 1  # a till's own numbering, held in a 32-bit column
CHANNELS = ("store", "online")
MAX_LINE_MINOR = 10**11  # one billion in major units: beyond any till, within 64-bit arithmetic
MAX_QUANTITY = Decimal("1000000")
MAX_CLOCK_SKEW = timedelta(minutes=5)  # a till's clock may run a little ahead
MAX_CASHIER = 32
# The most one sale may earn: far beyond any real sale, so that a rule whose effect is out of
# all proportion (a billion points a cent) is refused with the sale instead of credited.
MAX_SALE_POINTS = 10**9
FUTURE_SALE = "lies in the future"  # (a till's; a simulation may try one)


@dataclass(frozen=True, slots=True)
class BasketLine:
    line_no: int
    sku: str
    quantity: Decimal
    amount_minor: int  # what the line cost after discounts, in minor units
    category: str | None = None
    brand: str | None = None


@dataclass(frozen=True)
class Basket:
    store_code: str
    terminal_code: str
    receipt_number: str
    occurred_at: datetime  # the time of the sale, also when it arrives late from an offline till
    currency: str
    lines: tuple[BasketLine, ...]
    paid_with_points_minor: int = 0  # the part of the bill paid with points: it does not earn
    member_id: str | None = None
    card_number: str | None = None
    channel: str = "store"  # where the sale happened: "store" (a till) or "online"
    cashier: str | None = None  # who rang the sale up: the till's operator id, for the fraud checks

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


@dataclass(frozen=True)
class LinePoints:
    line_no: int
    eligible_minor: int  # the part of the line's amount that earns
    points: int


@dataclass(frozen=True)
class EarningContext:
    settings: ProgrammeSettings
    as_of: datetime
    member_attributes: dict = field(default_factory=dict)


class PointsCalculator(Protocol):
    def points_for(self, basket: Basket, context: EarningContext) -> list[LinePoints]:
        """Points per line of ``basket``, one entry per line in line order."""


class BaseRateCalculator:
    """The programme's base rate on what the member paid in money.

    The part paid with points is spread over the lines in proportion to their amounts and
    does not earn. Points are computed on the whole basket (so ten items at 0.99 earn like
    one at 9.90) and spread over the lines by largest remainder, so they add up exactly.
    """

    def points_for(self, basket: Basket, context: EarningContext) -> list[LinePoints]:
        settings = context.settings
        amounts = [line.amount_minor for line in basket.lines]
        paid_with_points = split_proportionally(basket.paid_with_points_minor, amounts)
        eligible = [a - p for a, p in zip(amounts, paid_with_points)]
        total = sum(eligible) * settings.earn_points // settings.earn_per_minor
        points = split_proportionally(total, eligible)
        return [LinePoints(line.line_no, e, p) for line, e, p in zip(basket.lines, eligible, points)]


def validate_basket(basket: Basket, settings: ProgrammeSettings, *, now: datetime) -> list[Problem]:
    """Every problem with ``basket``; an empty list means it can earn."""
    problems: list[Problem] = []

    def need(ok: bool, where: str, message: str) -> None:
        if not ok:
            problems.append(Problem(where, message))

    need(is_text(basket.receipt_number, 64), "receipt_number", "must be a text of 1 to 64 characters")
    need((basket.member_id is None) != (basket.card_number is None), "member",
         "name the member by exactly one of member_id and card_number")
    need(basket.currency == settings.currency, "currency",
         f"the programme runs in {settings.currency}, not {basket.currency!r}")
    occurred = instants.in_utc(basket.occurred_at)
    need(occurred is not None, "occurred_at", f"must be an instant with a time zone, {instants.RANGE_TEXT}")
    if occurred is not None:
        need(occurred <= now + MAX_CLOCK_SKEW, "occurred_at", FUTURE_SALE)
    need(basket.channel in CHANNELS, "channel", f"must be one of {', '.join(CHANNELS)}")
    need(basket.cashier is None or is_text(basket.cashier, MAX_CASHIER), "cashier",
         f"must be a text of 1 to {MAX_CASHIER} characters")
    need(0 < len(basket.lines) <= MAX_LINES, "lines", f"a basket has 1 to {MAX_LINES} lines")
    seen = set()
    for index, line in enumerate(basket.lines):
        where = f"lines.{index}"
        need(_is_int(line.line_no) and 0 < line.line_no <= MAX_LINE_NO and line.line_no not in seen,
             f"{where}.line_no", f"must be a whole number from 1 to {MAX_LINE_NO}, unique in the basket")
        seen.add(line.line_no)
        need(is_text(line.sku, 64), f"{where}.sku", "must be a text of 1 to 64 characters")
        need(is_quantity(line.quantity), f"{where}.quantity",
             f"must be a positive number below {MAX_QUANTITY} with at most 3 decimals")
        need(_is_int(line.amount_minor) and 0 <= line.amount_minor <= MAX_LINE_MINOR, f"{where}.amount_minor",
             f"must be a whole number of minor units from 0 to {MAX_LINE_MINOR}")
        for name in ("category", "brand"):
            value = getattr(line, name)
            need(value is None or is_text(value, 64), f"{where}.{name}", "must be a text of 1 to 64 characters")
    # checked whatever else is wrong (a simulation drops the problem of a basket naming no member)
    paid = basket.paid_with_points_minor
    total_known = all(_is_int(line.amount_minor) for line in basket.lines)
    need(_is_int(paid) and 0 <= paid and (not total_known or paid <= basket.total_minor),
         "paid_with_points_minor", "must be between zero and the basket's total")
    return problems


def sale_points_problems(points: int) -> list[Problem]:
    """What is wrong with a sale earning ``points``: more than any one sale may earn
    (``MAX_SALE_POINTS``); an empty list when nothing is."""
    if points <= MAX_SALE_POINTS:
        return []
    return [Problem("lines", f"the programme's rules give this sale {points} points, more than one sale may earn "
                             f"({MAX_SALE_POINTS}): a rule's effect is out of proportion; check the rules in force")]


def is_quantity(value) -> bool:
    """Whether ``value`` is a quantity a receipt line can hold: positive, bounded, 3 decimals at most."""
    return (isinstance(value, Decimal) and value.is_finite() and 0 < value < MAX_QUANTITY
            and value == value.quantize(Decimal("0.001")))


def is_text(value, limit: int) -> bool:
    """Whether ``value`` is a text of 1 to ``limit`` characters without spaces around it."""
    return isinstance(value, str) and 0 < len(value) <= limit and value == value.strip()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
