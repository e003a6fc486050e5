"""Shapes of staff accounts as admins manage them (the password goes in, never out)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from engine.access.passwords import MAX_PASSWORD_LENGTH
from engine.orm.access import STAFF_ROLES

CODE_LENGTH = 20  # an authenticator's 6 digits, or a recovery code typed with spaces
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
    two_step = fields.Boolean(required=True, metadata={
        "description": "signs in with a code from an authenticator app as well as the password"})


class AuthenticatorEnrolmentSchema(ma.Schema):
    secret = fields.String(required=True, metadata={"description": "to type into the authenticator app (base32)"})
    uri = fields.String(required=True, metadata={"description": "the same as an otpauth:// URI, for a QR code"})


class AuthenticatorSetUpSchema(InputSchema):
    setup_code = fields.String(load_default=None, validate=ma.validate.Length(1, 40), metadata={
        "description": "where the programme asks every staff member for two steps: the one-time code an admin "
                       "made for the account (accounts/{username}/authenticator/allow)"})


class SetUpCodeSchema(ma.Schema):
    setup_code = fields.String(required=True, attribute="code",
                               metadata={"description": "give it to the staff member in person"})
    expires_at = fields.AwareDateTime(required=True)


class AuthenticatorCodeSchema(InputSchema):
    code = fields.String(required=True, validate=ma.validate.Length(1, CODE_LENGTH),
                         metadata={"description": "the 6 digits the authenticator app shows now"})


class RecoveryCodesSchema(ma.Schema):
    recovery_codes = fields.List(fields.String(), required=True, metadata={
        "description": "ten codes that each sign in once instead of the app's (a lost phone): shown this once"})
