"""Staff API for staff accounts: admins (``staff.write``) add accounts, change their roles,
deactivate and reactivate them. Every call is audited like every staff call; the last
active admin can be neither deactivated nor demoted."""
from __future__ import annotations

from flask_smorest import Blueprint

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now, passwords
from api.schemas.staff_accounts import StaffAccountInSchema, StaffAccountSchema, StaffRolesSchema
from api.schemas.terminal import EmptySchema
from engine.access.staff import create_staff_account, list_staff_accounts, set_staff_active, set_staff_roles

blp = Blueprint("staff_accounts", __name__, url_prefix="/v1/staff",
                description="Staff accounts and their roles (staff: staff.write).")
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
    return set_staff_active(database(), username, active=False)


@blp.route("/accounts/<username>/activate", methods=["POST"])
@staff_only("staff.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, StaffAccountSchema)
def activate(_body, username):
    """Let a deactivated account sign in again."""
    return set_staff_active(database(), username, active=True)
