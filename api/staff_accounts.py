"""Staff API for staff accounts: admins (``staff.write``) add accounts, change their roles,
deactivate and reactivate them, and remove an authenticator (a lost phone). Every call is
audited like every staff call; the last active admin can be neither deactivated nor
demoted. Each staff member sets up their own authenticator app for two-step sign-in."""
from __future__ import annotations

from flask import g

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now, passwords
from api.json_body import Blueprint
from api.schemas.staff_accounts import (AuthenticatorCodeSchema, AuthenticatorEnrolmentSchema, AuthenticatorSetUpSchema,
                                        RecoveryCodesSchema, SetUpCodeSchema, StaffAccountInSchema, StaffAccountSchema,
                                        StaffRolesSchema)
from api.schemas.terminal import EmptySchema
from engine.access import authenticators
from engine.access.staff import create_staff_account, list_staff_accounts, set_staff_active, set_staff_roles

blp = Blueprint("staff_accounts", __name__, url_prefix="/v1/staff",
                description="Staff accounts and their roles (staff: staff.write), and each staff "
                            "member's own authenticator app.")
AUTH = {"security": [BEARER_AUTH]}


@blp.route("/accounts", methods=["GET"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.response(200, StaffAccountSchema(many=True))
def accounts():
    """Every staff account, by username."""
    return list_staff_accounts(database())


@blp.route("/accounts", methods=["POST"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(StaffAccountInSchema())
@blp.response(201, StaffAccountSchema)
def add(body):
    """Add a staff account (a taken username is refused with 409, so a retry adds no second)."""
    return create_staff_account(database(), passwords=passwords(), now=now(), **body)


@blp.route("/accounts/<username>/roles", methods=["PUT"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(StaffRolesSchema())
@blp.response(200, StaffAccountSchema)
def roles(body, username):
    """Replace an account's roles; they apply from its next request."""
    return set_staff_roles(database(), username, body["roles"])


@blp.route("/accounts/<username>/deactivate", methods=["POST"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, StaffAccountSchema)
def deactivate(_body, username):
    """Stop an account signing in; its open sessions stop working at once."""
    return set_staff_active(database(), username, active=False, now=now())


@blp.route("/accounts/<username>/activate", methods=["POST"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, StaffAccountSchema)
def activate(_body, username):
    """Let a deactivated account sign in again."""
    return set_staff_active(database(), username, active=True, now=now())


@blp.route("/accounts/<username>/authenticator/remove", methods=["POST"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(204)
def remove_authenticator(_body, username):
    """Forget an account's authenticator and recovery codes (a lost phone): it signs in with
    its password alone until it sets another up."""
    authenticators.remove_authenticator(database(), username)


@blp.route("/accounts/<username>/authenticator/allow", methods=["POST"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(201, SetUpCodeSchema)
def allow_authenticator(_body, username):
    """A one-time code (live for a day) with which the account sets up its authenticator where
    the programme asks every staff member for two steps; give it in person (409
    ``authenticator_set`` while one is set up)."""
    return authenticators.allow_set_up(database(), username, now=now())


@blp.route("/authenticator", methods=["POST"])
@staff_only(None)
@blp.doc(**AUTH)
@blp.arguments(AuthenticatorSetUpSchema())
@blp.response(201, AuthenticatorEnrolmentSchema)
def start_authenticator(body):
    """Set up my authenticator app: a new secret, counted once a code from it is confirmed
    (409 ``authenticator_set`` while one is: an admin removes it first). Where the programme
    asks every staff member for two steps, it takes the one-time ``setup_code`` an admin made
    for me (403 ``setup_code_required`` without it)."""
    return authenticators.start_enrolment(database(), g.principal.name, now=now(), setup_code=body["setup_code"])


@blp.route("/authenticator/confirm", methods=["POST"])
@staff_only(None)
@blp.doc(**AUTH)
@blp.arguments(AuthenticatorCodeSchema())
@blp.response(200, RecoveryCodesSchema)
def confirm_authenticator(body):
    """Confirm my authenticator with the code it shows now: from then on signing in takes a
    code as well. Answers the recovery codes, this once."""
    return {"recovery_codes": authenticators.confirm_enrolment(database(), g.principal.name, body["code"],
                                                               now=now())}


@blp.route("/authenticator/recovery-codes", methods=["POST"])
@staff_only(None)
@blp.doc(**AUTH)
@blp.arguments(AuthenticatorCodeSchema())
@blp.response(200, RecoveryCodesSchema)
def renew_recovery_codes(body):
    """Ten new recovery codes for my account, this once (the old ones are void), for a code my
    authenticator shows now; a wrong code counts toward the sign-in lockout."""
    return {"recovery_codes": authenticators.renew_recovery_codes(database(), g.principal.name, body["code"],
                                                                  passwords=passwords(), now=now())}
