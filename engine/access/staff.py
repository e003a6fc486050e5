"""Staff accounts with roles, and their sign-in.

Guarantees: passwords are stored as argon2 hashes; an unknown username and a wrong
password get the same refusal and take the same time; five wrong passwords lock the
account for fifteen minutes, each further five in a row for twice as long, up to a day
(counted in the database, so every API node agrees);
a deactivated account cannot sign in and its tokens stop working; an account with an
authenticator signs in with a code from it as well (``engine.access.authenticators``), and
where the programme asks for two-step sign-in (``staff_two_step_required``) an account
without one may only set one up (``Principal.two_step_missing``; a mailer script is
exempt). Usernames are kept in lower case and signing in ignores case and surrounding
spaces ("Alice " is alice).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from engine.access import sign_in_throttles, throttle
from engine.access.authenticators import second_step_holds
from engine.access.passwords import Passwords, password_problems
from engine.access.principals import Principal
from engine.access.tokens import issue_token, live_token
from engine.database import Database, insert_unique
from engine.errors import Conflict, NotAuthenticated, Problem, not_found, refuse_if
from engine.orm.access import STAFF_ROLES, AccessTokenRow, StaffAccountRow
from engine.settings import read_settings

STAFF_SESSION = timedelta(hours=8)
TWO_STEP_EXEMPT = {"mailer"}  # a mail-sending script: it signs in unattended, and reads only messages
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class StaffAccount:
    username: str
    full_name: str
    roles: tuple[str, ...]
    active: bool
    two_step: bool = False  # signs in with a code from an authenticator app as well


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    principal: Principal


def create_staff_account(db: Database, *, username: str, full_name: str, password: str,
                         roles: list[str], passwords: Passwords, now: datetime) -> StaffAccount:
    """A new staff account; refuses a taken username, unknown roles or a short password."""
    problems = password_problems(password)
    if not (isinstance(username, str) and _USERNAME.match(username)):
        problems.append(Problem("username", "must be 2 to 64 lower-case letters, digits, '.', '_' or '-', "
                                            "starting with a letter"))
    if not (isinstance(full_name, str) and 0 < len(full_name.strip()) <= 200):
        problems.append(Problem("full_name", "must be 1 to 200 characters"))
    problems += _role_problems(roles)
    refuse_if(problems)
    taken = Conflict(f"staff username {username!r} is taken", code="username_taken")
    with db.transaction() as session:
        if session.scalar(sa.select(StaffAccountRow.id).where(StaffAccountRow.username == username)):
            raise taken  # checked first: no password hashed for a name already taken
        row = StaffAccountRow(username=username, full_name=full_name.strip(), password_hash=passwords.hash(password),
                              roles=",".join(sorted(set(roles))), active=True, failed_logins=0, created_at=now)
        insert_unique(session, row, taken)  # taken meanwhile by a concurrent request
        return _account(row)


def list_staff_accounts(db: Database) -> list[StaffAccount]:
    """Every staff account, by username."""
    with db.transaction() as session:
        return [_account(r) for r in session.scalars(sa.select(StaffAccountRow).order_by(StaffAccountRow.username))]


def set_staff_active(db: Database, username: str, *, active: bool, now: datetime) -> StaffAccount:
    """Activate or deactivate an account. Deactivating ends its sign-in sessions for good
    (activated again, it signs in afresh: an account stopped because a token leaked does not
    get the token back); the last active admin is never deactivated, so the programme cannot
    lock itself out."""
    with db.transaction() as session:
        row = _row(session, username)
        if not active:
            _keep_an_admin(session, row, roles_after=())
            session.execute(sa.update(AccessTokenRow).where(
                AccessTokenRow.staff_id == row.id, AccessTokenRow.kind == "staff", AccessTokenRow.revoked_at.is_(None),
                AccessTokenRow.expires_at > now).values(revoked_at=now))
        row.active = active
        return _account(row)


def set_staff_roles(db: Database, username: str, roles: list[str]) -> StaffAccount:
    """Replace an account's roles (effective on its next request); refuses unknown roles and
    taking admin from the last active admin."""
    refuse_if(_role_problems(roles))
    with db.transaction() as session:
        row = _row(session, username)
        _keep_an_admin(session, row, roles_after=roles)
        row.roles = ",".join(sorted(set(roles)))
        return _account(row)


def _keep_an_admin(session, row: StaffAccountRow, *, roles_after) -> None:
    if "admin" not in row.roles.split(",") or "admin" in roles_after or not row.active:
        return
    # Lock every active account: two admins demoting each other at once cannot both pass.
    others = session.execute(sa.select(StaffAccountRow.id, StaffAccountRow.roles)
                             .where(StaffAccountRow.active.is_(True)).with_for_update())
    if not any("admin" in roles.split(",") for pk, roles in others if pk != row.id):
        raise Conflict(f"{row.username} is the last active admin; make another admin first", code="last_admin")


def sign_in_staff(db: Database, *, username: str, password: str, passwords: Passwords,
                  now: datetime, code: str | None = None) -> SignedIn:
    """A staff token for the right username and password, and the right ``code`` for an
    account with an authenticator (without one: ``code_required``, nothing counted; a wrong
    one counts toward the lockout like a wrong password); NotAuthenticated otherwise."""
    refusal = None
    with db.transaction() as session:
        row = session.scalar(sa.select(StaffAccountRow).where(StaffAccountRow.username == username.strip().lower())
                             .with_for_update()) if isinstance(username, str) else None
        if row is None:  # counted as an account's own: a lockout does not tell which usernames exist
            name = username.strip().lower() if isinstance(username, str) else ""
            refusal = sign_in_throttles.refuse_unknown(session, f"staff:{name}", password, passwords, now,
                                                       what="username or password")
        else:
            refusal, attempts = throttle.check_secret(throttle.Attempts(row.failed_logins, row.locked_until),
                                                      lambda: passwords.verify(row.password_hash, password),
                                                      passwords, now, what="username or password")
        if row is not None and refusal is None and row.totp_secret is not None:
            before = throttle.Attempts(row.failed_logins, row.locked_until)  # the password alone clears nothing
            if not code:
                refusal, attempts = NotAuthenticated("this account signs in with a code from its authenticator "
                                                     "app as well", code="code_required"), before
            else:
                refusal, attempts = throttle.check_secret(before, lambda: second_step_holds(row, code, now),
                                                          passwords, now, what="code")
        if row is not None:
            row.failed_logins, row.locked_until = attempts.failures, attempts.locked_until
            if refusal is None and not row.active:
                refusal = NotAuthenticated("this staff account is deactivated", code="account_inactive")
        if refusal is None:
            token, expires_at = issue_token(session, kind="staff", ttl=STAFF_SESSION, now=now, staff_id=row.id)
            principal = _principal(session, row)
    if refusal is not None:
        raise refusal
    return SignedIn(token, expires_at, principal)


def staff_principal(db: Database, token: str | None, *, now: datetime) -> Principal:
    """The staff member a token belongs to; NotAuthenticated for a bad token or inactive account."""
    with db.transaction() as session:
        row = session.get(StaffAccountRow, live_token(session, token, kind="staff", now=now).staff_id)
        if not row.active:
            raise NotAuthenticated("this staff account is deactivated", code="account_inactive")
        return _principal(session, row)


def _role_problems(roles) -> list[Problem]:
    if not (isinstance(roles, list | tuple) and roles and all(r in STAFF_ROLES for r in roles)):
        return [Problem("roles", f"must name at least one of {', '.join(STAFF_ROLES)}")]
    return []


def _row(session, username: str) -> StaffAccountRow:
    row = session.scalar(sa.select(StaffAccountRow).where(StaffAccountRow.username == username))
    if row is None:
        raise not_found("staff account", username)
    return row


def _principal(session, row: StaffAccountRow) -> Principal:
    roles = frozenset(row.roles.split(","))
    return Principal(kind="staff", name=row.username, roles=roles, two_step_missing=(
        row.totp_secret is None and bool(roles - TWO_STEP_EXEMPT) and read_settings(session).staff_two_step_required))


def _account(row: StaffAccountRow) -> StaffAccount:
    return StaffAccount(username=row.username, full_name=row.full_name, roles=tuple(row.roles.split(",")),
                        active=row.active, two_step=row.totp_secret is not None)
