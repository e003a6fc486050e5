"""The shapes of ledger requests: a basket (what a till sends when a sale completes) and a
refund by receipt.

``BasketSchema().load(data)`` gives an ``engine.ledger.basket.Basket``;
``RefundSchema().load(data)`` an ``engine.ledger.commands.RefundReceipt``. Shape only: JSON
types, required fields, no unknown fields, instants with a time zone, whole numbers where
the ledger needs them (``1000.0`` is not an amount in minor units), quantities with at
most three decimals (never rounded silently). What the values mean (the currency of the
programme, positive amounts, unique line numbers, ...) the engine checks.
"""
from __future__ import annotations

import decimal
import re

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from engine import instants
from engine.ledger.basket import CHANNELS, MAX_CASHIER, Basket, BasketLine
from engine.ledger.commands import RefundLine, RefundReceipt

QUANTITY_PLACES = 3


class Quantity(fields.Decimal):
    """A decimal quantity with at most three decimals; more precision is refused, not rounded."""

    default_error_messages = {"too_precise": "Must have at most {places} decimal places."}

    def __init__(self, **kwargs):
        super().__init__(places=QUANTITY_PLACES, as_string=True, **kwargs)

    def _format_num(self, value):
        number = decimal.Decimal(str(value))
        if number.is_finite() and number != number.quantize(self.places, rounding=decimal.ROUND_DOWN):
            raise self.make_error("too_precise", places=QUANTITY_PLACES)
        return super()._format_num(value)


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with a time zone, loaded as the same instant in UTC.

    The database keeps instants in UTC anyway; handing the engine UTC also keeps a ledger
    transaction's checksum (taken over ``occurred_at`` as given) equal to the one the
    invariant check recomputes from the stored, UTC value."""

    def __init__(self, **kwargs):
        super().__init__(error_messages={
            "invalid_awareness": "Must include a time zone, e.g. 2026-03-02T10:15:00+01:00 or 2026-03-02T09:15:00Z.",
            "out_of_range": f"Must be an instant {instants.RANGE_TEXT}."}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        instant = instants.in_utc(super()._deserialize(value, attr, data, **kwargs))
        if instant is None:
            raise self.make_error("out_of_range")
        return instant


def _whole(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


class BasketLineSchema(InputSchema):
    line_no = _whole(required=True)
    sku = fields.String(required=True)
    quantity = Quantity(required=True)
    amount_minor = _whole(required=True, metadata={"description": "the line's amount after discounts, "
                                                                  "in minor units (cents)"})
    category = fields.String(load_default=None, allow_none=True)
    brand = fields.String(load_default=None, allow_none=True)

    @ma.post_load
    def make_line(self, data: dict, **_) -> BasketLine:
        return BasketLine(**data)


class BasketLines(fields.Nested):
    """The basket's lines, loaded by one nested schema with ``many`` (a ``List`` of ``Nested``
    loads each line as a schema of its own: 1.6 % more instructions for a till's accrual);
    refuses what is not a list as a ``List`` would.

    Lines that are plainly valid (:func:`plain_lines`) are built without the schema: loading
    six lines through it cost a till's accrual about 150 µs, a twentieth of its CPU. Anything
    else goes through the schema, which decides and words the refusal."""

    default_error_messages = {"not_a_list": "Not a valid list."}

    def __init__(self, **kwargs):
        super().__init__(BasketLineSchema, many=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("not_a_list")
        lines = plain_lines(value)
        return lines if lines is not None else super()._deserialize(value, attr, data, **kwargs)


_LINE_FIELDS = frozenset(BasketLineSchema().fields)
_REQUIRED_LINE_FIELDS = frozenset(name for name, field in BasketLineSchema().fields.items() if field.required)
# a quantity as text the schema takes as it is: digits, at most three decimals, no sign or exponent
_PLAIN_QUANTITY = re.compile(r"[0-9]{1,12}(\.[0-9]{1,3})?")
_THREE_PLACES = decimal.Decimal(1).scaleb(-QUANTITY_PLACES)


def plain_lines(value: list) -> list[BasketLine] | None:
    """The lines ``BasketLineSchema(many=True)`` loads from ``value``, when every line is
    plainly valid (JSON types exactly as declared, a quantity as plain decimal text or a whole
    number); else None, and the schema must decide. Never accepts what the schema refuses
    (tests/api/test_basket_lines_load_plainly.py compares them)."""
    lines = []
    for line in value:
        if type(line) is not dict or not _REQUIRED_LINE_FIELDS <= line.keys() <= _LINE_FIELDS:
            return None
        line_no, sku, quantity, amount = line["line_no"], line["sku"], line["quantity"], line["amount_minor"]
        category, brand = line.get("category"), line.get("brand")
        if not (type(line_no) is int and type(amount) is int and type(sku) is str
                and (category is None or type(category) is str) and (brand is None or type(brand) is str)):
            return None
        if not ((type(quantity) is str and _PLAIN_QUANTITY.fullmatch(quantity))
                or (type(quantity) is int and abs(quantity) < 10**12)):
            return None
        quantity = decimal.Decimal(quantity).quantize(_THREE_PLACES)
        lines.append(BasketLine(line_no=line_no, sku=sku, quantity=quantity, amount_minor=amount,
                                category=category, brand=brand))
    return lines


class SaleSchema(InputSchema):
    """A completed sale, without saying whose it is."""

    store_code = fields.String(required=True)
    terminal_code = fields.String(required=True)
    receipt_number = fields.String(required=True)
    occurred_at = Instant(required=True, metadata={"description": "the time of the sale"})
    currency = fields.String(required=True)
    lines = BasketLines(required=True)
    paid_with_points_minor = _whole(load_default=0, metadata={"description": "the part of the bill "
                                                                            "paid with points, in minor units"})


def channel_field() -> fields.String:
    return fields.String(load_default="store", validate=ma.validate.OneOf(CHANNELS),
                         metadata={"description": "where the sale happened: store (a till) or online"})


class BasketSchema(SaleSchema):
    """A completed sale; the member is named by exactly one of ``member_id`` and ``card_number``."""

    member_id = fields.String(load_default=None, allow_none=True)
    card_number = fields.String(load_default=None, allow_none=True)
    channel = channel_field()

    @ma.validates_schema
    def one_member(self, data: dict, **_) -> None:
        if (data.get("member_id") is None) == (data.get("card_number") is None):
            raise ma.ValidationError("Give exactly one of member_id and card_number.", "member_id")

    @ma.post_load
    def make_basket(self, data: dict, **_) -> Basket:
        return Basket(**{**data, "lines": tuple(data["lines"])})


class RefundLineSchema(InputSchema):
    """One returned line of a receipt: which line and how much of it."""

    line_no = _whole(required=True)
    quantity = Quantity(required=True)

    @ma.post_load
    def make_line(self, data: dict, **_) -> RefundLine:
        return RefundLine(**data)


class RefundSchema(InputSchema):
    """A refund of some lines of a receipt that earned points (store, terminal, receipt number)."""

    store_code = fields.String(required=True)
    terminal_code = fields.String(required=True)
    receipt_number = fields.String(required=True)
    lines = fields.List(fields.Nested(RefundLineSchema), required=True)
    occurred_at = Instant(required=True, metadata={"description": "the time of the return"})
    cashier = fields.String(validate=ma.validate.Length(1, MAX_CASHIER), metadata={
        "description": "who rang the return up: the till's operator id (the fraud checks list cashiers' returns)"})

    @ma.post_load
    def make_refund(self, data: dict, **_) -> RefundReceipt:
        return RefundReceipt(**{**data, "lines": tuple(data["lines"])})
