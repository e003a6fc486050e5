"""Shapes of what a till sends and gets back (see api/terminal.py)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from api.schemas.ledger import SaleSchema, _whole
from engine.card_auth import OfflineProof
from engine.ledger.basket import MAX_CASHIER

HEX = ma.validate.Regexp(r"^([0-9a-fA-F]{2})+$", error="Must be hexadecimal (an even number of 0-9, a-f).")


class HexBytes(fields.String):
    """Bytes written as hexadecimal."""

    def __init__(self, length: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.text_validators = [HEX] + ([ma.validate.Length(equal=2 * length)] if length else [])
        if length:
            self.metadata.setdefault("description", f"{length} bytes, hexadecimal")
            self.metadata.update(pattern="^[0-9a-fA-F]*$", minLength=2 * length, maxLength=2 * length)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.hex()

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        for validator in self.text_validators:
            validator(text)
        return bytes.fromhex(text)


class ChallengeRequestSchema(InputSchema):
    card_number = fields.String(required=True, validate=ma.validate.Length(1, 32))


class ChallengeSchema(ma.Schema):
    challenge_id = fields.String(required=True)
    challenge = HexBytes(required=True, metadata={"description": "16 bytes for the card to answer"})
    expires_at = fields.AwareDateTime(required=True)


class CardSessionRequestSchema(InputSchema):
    """Our card: ``challenge_id`` and the card's ``answer``. A UID-only card: ``card_uid``.
    Either may add the member's ``pin``, to pay with points where the programme asks for it."""

    challenge_id = fields.String(validate=ma.validate.Length(1, 40))
    answer = HexBytes(8)
    card_uid = fields.String(validate=ma.validate.Length(1, 32))
    pin = fields.String(validate=ma.validate.Length(1, 12))

    @ma.validates_schema
    def one_kind(self, data: dict, **_) -> None:
        ours = "challenge_id" in data or "answer" in data
        uid = "card_uid" in data
        if ours == uid or (ours and not ("challenge_id" in data and "answer" in data)):
            raise ma.ValidationError("Give challenge_id and answer (our card), or card_uid (a UID-only card); "
                                     "either optionally with pin.")


class MemberSummarySchema(ma.Schema):
    member_id = fields.String(required=True)
    display_name = fields.String(required=True)
    tier = fields.String(allow_none=True, required=True)
    available = fields.Integer(required=True)
    pending = fields.Integer(required=True)


class CardSessionSchema(ma.Schema):
    card_session = fields.String(required=True, attribute="token")
    expires_at = fields.AwareDateTime(required=True)
    can_redeem = fields.Boolean(required=True)
    card_number = fields.String(required=True)
    member = fields.Nested(MemberSummarySchema, required=True)


class OfflineProofSchema(InputSchema):
    card_number = fields.String(required=True, validate=ma.validate.Length(1, 32))
    key_version = _whole(required=True, validate=ma.validate.Range(1, 255))
    counter = _whole(required=True, validate=ma.validate.Range(0, 2**63 - 1))
    answer = HexBytes(8, required=True)

    @ma.post_load
    def make(self, data: dict, **_) -> OfflineProof:
        return OfflineProof(**data)


class AccrualSchema(SaleSchema):
    """A sale at this till and the card it earns for: ``card_number`` with ``card_session`` or
    ``offline_proof`` (our cards), or ``card_uid`` (UID-only cards); or, from a terminal of an
    online store (a web shop's backend), an order and the ``member_id`` it earns for."""

    card_number = fields.String(validate=ma.validate.Length(1, 32))
    card_uid = fields.String(validate=ma.validate.Length(1, 32))
    member_id = fields.String(validate=ma.validate.Length(1, 32), metadata={
        "description": "online stores' terminals only: the member the order earns for (no card)"})
    card_session = fields.String(validate=ma.validate.Length(1, 100))
    offline_proof = fields.Nested(OfflineProofSchema)
    cashier = fields.String(validate=ma.validate.Length(1, MAX_CASHIER), metadata={
        "description": "who rang the sale up: the till's operator id (the fraud checks tie cards to cashiers)"})

    @ma.validates_schema
    def one_card(self, data: dict, **_) -> None:
        if sum(name in data for name in ("card_number", "card_uid", "member_id")) != 1:
            raise ma.ValidationError("Give exactly one of card_number, card_uid and member_id.", "card_number")
        if "card_session" in data and "offline_proof" in data:
            raise ma.ValidationError("Give card_session or offline_proof, not both.", "card_session")
        if "member_id" in data and ("card_session" in data or "offline_proof" in data):
            raise ma.ValidationError("An order naming its member carries no card proof.", "member_id")


class LinePointsSchema(ma.Schema):
    line_no = fields.Integer(required=True)
    eligible_minor = fields.Integer(required=True)
    points = fields.Integer(required=True)


class RuleLinePointsSchema(ma.Schema):
    """One line's share of a rule's points (the shape ``LinePointPairs`` writes)."""

    line_no = fields.Integer(required=True)
    points = fields.Integer(required=True)


class LinePointPairs(fields.List):
    """A rule's points per line, kept by the engine as ``(line_no, points)`` pairs, written as
    a list of ``RuleLinePointsSchema`` objects. Built directly: every accrual's answer carries
    one per rule, and a nested schema per pair cost more than the rest of the answer."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(RuleLinePointsSchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else [{"line_no": line_no, "points": points} for line_no, points in value]


class RuleAwardSchema(ma.Schema):
    """What one rule version gave: ``desired`` before its limits, ``applied`` after."""

    rule_key = fields.String(required=True)
    version = fields.Integer(allow_none=True, required=True)
    campaign = fields.String(allow_none=True, required=True)
    desired = fields.Integer(required=True)
    applied = fields.Integer(required=True)
    capped_by = fields.String(allow_none=True, required=True)
    lines = LinePointPairs(required=True)


class PlainlyDumped(fields.Nested):
    """A list of objects dumped by the fields of their (documented) schema without the schema's
    machinery: an Integer field whose attribute is an int or None, or a String field whose
    attribute is a str or None, copies it; any other field or value serializes itself. Every
    accrual's answer carries its lines and its rules: through the nested schemas they cost the
    answer more than the rest of it (tests/api/test_answers_dump_plainly.py holds the two to
    the same output)."""

    def __init__(self, schema: type[ma.Schema], **kwargs):
        super().__init__(schema, many=True, **kwargs)
        self._one = schema()
        self._plan = [(name, field.data_key or name, field, _COPIED.get(type(field), ()))
                      for name, field in self._one.dump_fields.items()]

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        return None if nested_obj is None else [self._plainly(item) for item in nested_obj]

    def _plainly(self, item) -> dict:
        dumped = {}
        for name, key, field, copied in self._plan:
            value = getattr(item, name, _MISSING)
            if value is _MISSING:  # a mapping, or an object without the attribute: the schema decides
                return self._one.dump(item)
            dumped[key] = value if type(value) in copied else field.serialize(name, item)
        return dumped


_COPIED = {fields.Integer: (int, type(None)), fields.String: (str, type(None))}  # (the types it writes as they are)
_MISSING = object()


class AccrualResultSchema(ma.Schema):
    transaction_id = fields.Integer(allow_none=True, required=True)
    member_id = fields.String(required=True)
    receipt_number = fields.String(required=True)
    points = fields.Integer(required=True)
    lines = PlainlyDumped(LinePointsSchema, required=True)
    rules = PlainlyDumped(RuleAwardSchema, required=True,
                          metadata={"description": "why: the points each rule version gave, the base rate first"})
    available_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(allow_none=True, required=True)
    balance = fields.Integer(required=True)


class HoldRequestSchema(InputSchema):
    card_session = fields.String(validate=ma.validate.Length(1, 100),
                                 metadata={"description": "at a till: the card session of the member paying"})
    member_id = fields.String(validate=ma.validate.Length(1, 32),
                              metadata={"description": "at an online store (a web shop's backend): the member "
                                                       "paying, with their payment_code"})
    payment_code = fields.String(validate=ma.validate.Length(1, 40),
                                 metadata={"description": "the code the member asked for in the portal "
                                                          "(POST /v1/member/payment-codes) and typed at checkout"})
    points = _whole(required=True, validate=ma.validate.Range(1, 10**9))
    receipt_number = fields.String(validate=ma.validate.Length(1, 64),
                                   metadata={"description": "the sale the points pay for"})
    cashier = fields.String(validate=ma.validate.Length(1, MAX_CASHIER), metadata={
        "description": "who took the payment: the till's operator id (the fraud checks look at payments by cashier)"})

    @ma.validates_schema
    def one_payer(self, data: dict, **_) -> None:
        if ("card_session" in data) == ("member_id" in data):
            raise ma.ValidationError("Give exactly one of card_session and member_id.", "card_session")
        if ("member_id" in data) != ("payment_code" in data):
            raise ma.ValidationError("A member paying online gives member_id and payment_code together.",
                                     "payment_code")


class HoldSchema(ma.Schema):
    hold_id = fields.String(required=True)
    member_id = fields.String(required=True)
    points = fields.Integer(required=True)
    value_minor = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True, attribute="deadline")
    available = fields.Integer(required=True)


class CaptureRequestSchema(InputSchema):
    points = _whole(validate=ma.validate.Range(1, 10**9), metadata={"description": "less than the hold: "
                                                                                 "the rest is released"})
    receipt_number = fields.String(validate=ma.validate.Length(1, 64))


class CaptureSchema(ma.Schema):
    hold_id = fields.String(required=True)
    member_id = fields.String(required=True)
    points = fields.Integer(required=True)
    released = fields.Integer(required=True)
    value_minor = fields.Integer(required=True)
    transaction_id = fields.Integer(required=True)
    balance = fields.Integer(required=True)


class EmptySchema(InputSchema):
    """No fields."""


class VoidSchema(ma.Schema):
    hold_id = fields.String(required=True)
    member_id = fields.String(required=True)
    released = fields.Integer(required=True)


class PaymentReturnedSchema(ma.Schema):
    hold_id = fields.String(required=True)
    member_id = fields.String(required=True)
    points = fields.Integer(required=True, metadata={"description": "given back to the member"})
    transaction_id = fields.Integer(required=True)
    balance = fields.Integer(required=True)


class RefundResultSchema(ma.Schema):
    member_id = fields.String(required=True)
    receipt_number = fields.String(required=True)
    amount_minor = fields.Integer(required=True)
    points_reversed = fields.Integer(required=True)
    points_returned = fields.Integer(required=True)
    points_written_off = fields.Integer(required=True)
    points_expired = fields.Integer(required=True, metadata={
        "description": "of points_reversed, what had expired from the sale's points already: not taken from the "
                       "member a second time"})
    debt_created = fields.Integer(required=True)
    transaction_id = fields.Integer(allow_none=True, required=True)
    balance = fields.Integer(required=True)
