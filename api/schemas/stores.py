"""Shapes for the stores and terminals staff manage."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from engine.ledger.basket import CHANNELS


class StoreInSchema(InputSchema):
    code = fields.String(required=True, validate=ma.validate.Length(1, 32))
    name = fields.String(required=True, validate=ma.validate.Length(1, 100))
    timezone = fields.String(required=True, validate=ma.validate.Length(1, 64),
                             metadata={"description": "an IANA time zone, e.g. Europe/Berlin"})
    group = fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 32))
    channel = fields.String(load_default="store", validate=ma.validate.OneOf(CHANNELS), metadata={
        "description": "store: a shop whose tills read members' cards; online: a web shop, whose terminals "
                       "(its backend) post orders naming the member"})


class StoreSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True)
    group = fields.String(allow_none=True, required=True)
    channel = fields.String(required=True)


class TerminalInSchema(InputSchema):
    code = fields.String(required=True, validate=ma.validate.Length(1, 32))
    store_code = fields.String(required=True, validate=ma.validate.Length(1, 32))
    name = fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 100))


class TerminalQuerySchema(InputSchema):
    store_code = fields.String(load_default=None, validate=ma.validate.Length(1, 32),
                               metadata={"description": "only this store's terminals"})


class TerminalSchema(ma.Schema):
    code = fields.String(required=True)
    store_code = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
