"""The basket a POS hands the till, checked before the till keeps it.

Why the till checks what the server checks again: offline, a sale waits in the outbox and
reaches the server hours later, when nobody stands at the till to correct it, and a line
the server cannot read would cost the member the sale's points. So a basket that cannot be
right is refused at once, while the POS can still send it again; what only the server
knows (its bounds, the programme's currency) it still checks itself.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from terminal.errors import InvalidBasket

LINE_FIELDS = ("line_no", "sku", "quantity", "amount_minor", "category", "brand")
MAX_LINE_NO = 2**31 - 1  # what the server holds


def checked_lines(lines: object) -> list[dict]:
    """``lines`` as the till keeps them (quantities as decimal text), or InvalidBasket
    naming every line and field that is wrong."""
    if not isinstance(lines, list) or not lines:
        raise InvalidBasket("A basket is a list of at least one line.")
    problems, kept, numbers = [], [], set()
    for position, line in enumerate(lines, 1):
        if not isinstance(line, dict):
            problems.append(f"line {position} is not an object")
            continue
        where = f"line {position}"
        unknown = sorted(set(line) - set(LINE_FIELDS))
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
        number = line.get("line_no")
        if not _whole(number) or not 0 < number <= MAX_LINE_NO or number in numbers:
            problems.append(f"{where}: line_no must be a whole number from 1 to {MAX_LINE_NO}, different on every line")
        numbers.add(number)
        if not _text(line.get("sku")):
            problems.append(f"{where}: sku must be a text of 1 to 64 characters")
        quantity = _quantity(line.get("quantity"))
        if quantity is None:
            problems.append(f"{where}: quantity must be a number more than 0 with at most three decimals")
        amount = line.get("amount_minor")
        if not _whole(amount) or amount < 0:
            problems.append(f"{where}: amount_minor must be a whole number of cents, 0 or more")
        for name in ("category", "brand"):
            if line.get(name) is not None and not _text(line[name]):
                problems.append(f"{where}: {name} must be a text of 1 to 64 characters")
        kept.append(dict(line, quantity=f"{quantity:f}") if quantity is not None else line)
    if problems:
        raise InvalidBasket("The basket cannot be taken: " + "; ".join(problems) + ".")
    return kept


def checked_sale_time(value: datetime | None) -> datetime | None:
    """The sale time the POS gave, which must say its time zone (a till's local clock
    without one would move the sale by hours, and into another day's rules)."""
    if value is not None and value.tzinfo is None:
        raise InvalidBasket("The sale time must carry its time zone (e.g. 2026-11-23T12:00:00+01:00).")
    return value


def has_decimals(value: Decimal, places: int) -> bool:
    """Whether ``value`` is a finite number with at most ``places`` decimals (and small enough
    for Decimal's precision: the server bounds amounts far below that)."""
    try:
        return value.is_finite() and value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return False


def _quantity(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        quantity = Decimal(str(value))
    except InvalidOperation:
        return None
    return quantity if has_decimals(quantity, 3) and quantity > 0 else None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and value == value.strip()
