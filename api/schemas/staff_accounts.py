"""Shapes of staff accounts as admins manage them (the password goes in, never out)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from engine.access.passwords import MAX_PASSWORD_LENGTH
from engine.orm.access import STAFF_ROLES

_ROLES = fields.List(fields.String(validate=ma.validate.OneOf(STAFF_ROLES)), required=True,
                     validate=ma.validate.Length(1, len(STAFF_ROLES)),
                     metadata={"description": f"some of {', '.join(STAFF_ROLES)}"})


class StaffAccountInSchema(InputSchema):
    username = fields.String(required=True, validate=ma.validate.Length(1, 64))
    full_name = fields.String(required=True, validate=ma.validate.Length(1, 200))
    password = fields.String(required=True, load_only=True, validate=ma.validate.Length(1, MAX_PASSWORD_LENGTH))
    roles = _ROLES


class StaffRolesSchema(InputSchema):
    roles = _ROLES


class StaffAccountSchema(ma.Schema):
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
