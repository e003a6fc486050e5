"""The basket a POS hands the till, checked before the till keeps it.

Why the till checks what the server checks again: offline, a sale waits in the outbox and
reaches the server hours later, when nobody stands at the till to correct it, and a line
the server cannot read would cost the member the sale's points. So a basket that cannot be
right is refused at once, while the POS can still send it again: the server's fixed bounds
(lines, quantities, amounts, texts, the receipt number) are checked here too; what only the
server knows (the programme's currency, its offline age) it still checks itself.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from terminal.errors import InvalidBasket

LINE_FIELDS = ("line_no", "sku", "quantity", "amount_minor", "category", "brand")
# the server's bounds (engine.ledger.basket; a test holds the two to the same values)
MAX_LINE_NO = 2**31 - 1
MAX_LINES = 500
MAX_QUANTITY = Decimal(1_000_000)  # below it
MAX_LINE_MINOR = 10**11
MAX_TEXT = 64  # a receipt number, a sku, a category, a brand


def checked_lines(lines: object) -> list[dict]:
    """``lines`` as the till keeps them (quantities as decimal text), or InvalidBasket
    naming every line and field that is wrong."""
    if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
        raise InvalidBasket(f"A basket is a list of 1 to {MAX_LINES} lines.")
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
        if not whole_number(number) or not 0 < number <= MAX_LINE_NO or number in numbers:
            problems.append(f"{where}: line_no must be a whole number from 1 to {MAX_LINE_NO}, different on every line")
        numbers.add(number)
        if not _text(line.get("sku")):
            problems.append(f"{where}: sku must be a text of 1 to {MAX_TEXT} characters")
        quantity = _quantity(line.get("quantity"))
        if quantity is None:
            problems.append(f"{where}: quantity must be a number more than 0 and below {MAX_QUANTITY} "
                            "with at most three decimals")
        amount = line.get("amount_minor")
        if not whole_number(amount) or not 0 <= amount <= MAX_LINE_MINOR:
            problems.append(f"{where}: amount_minor must be a whole number of cents from 0 to {MAX_LINE_MINOR}")
        for name in ("category", "brand"):
            if line.get(name) is not None and not _text(line[name]):
                problems.append(f"{where}: {name} must be a text of 1 to {MAX_TEXT} characters")
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
    return quantity if has_decimals(quantity, 3) and 0 < quantity < MAX_QUANTITY else None


def whole_number(value: object) -> bool:
    """Whether a value from JSON is a whole number (an int; not a bool, a float or a text)."""
    return isinstance(value, int) and not isinstance(value, bool)


def checked_receipt_number(value: object) -> str:
    """The POS's receipt number, or InvalidBasket: the server takes 1 to 64 characters
    without spaces around them (a sale kept offline under another would never earn)."""
    if not _text(value):
        raise InvalidBasket(f"The receipt number must be a text of 1 to {MAX_TEXT} characters without spaces "
                            "around it.")
    return value


def _text(value: object) -> bool:
    if not (isinstance(value, str) and 0 < len(value) <= MAX_TEXT and value == value.strip() and "\x00" not in value):
        return False
    try:  # an unpaired surrogate is no Unicode text: the server refuses it at its door
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
