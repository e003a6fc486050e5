"""Members' own sign-in (e-mail and password) and their PIN for UID-only cards.

Guarantees: passwords and PINs are stored only as argon2 hashes; five wrong guesses of
either lock it for fifteen minutes (separately); unknown e-mail and wrong password get
the same refusal; only active members sign in; setting a new password ends every other
session of the member at once (a thief signed in elsewhere is signed out).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.access import throttle
from engine.access.passwords import Passwords, password_problems, pin_problems
from engine.access.principals import Principal
from engine.access.tokens import issue_token, live_token, revoke_member_tokens
from engine.database import Database
from engine.errors import InvalidInput, NotAuthenticated, Problem, refuse_if
from engine.members import member_row
from engine.orm.access import MemberLoginRow
from engine.orm.members import MemberProfileRow, MemberRow

MEMBER_SESSION = timedelta(hours=12)


@dataclass(frozen=True)
class MemberSignedIn:
    token: str
    expires_at: datetime
    member_id: str


def set_member_password(db: Database, member_id: str, password: str, *, passwords: Passwords, now: datetime,
                        current_password: str | None = None, require_current: bool = False,
                        keep_token: str | None = None) -> None:
    """Set the member's password; with ``require_current`` the old one must be given right.
    Every live session of the member ends, except ``keep_token`` (the one making the change)."""
    refuse_if(password_problems(password))
    refusal = None
    with db.transaction() as session:
        member_pk = member_row(session, member_id, to_change=True).id
        login = _login(session, member_pk)
        if require_current and not passwords.verify(login.password_hash, current_password or ""):
            refusal = NotAuthenticated("the current password is wrong", code="wrong_credentials")
        else:
            login.password_hash = passwords.hash(password)
            login.failed_logins, login.locked_until = 0, None
            revoke_member_tokens(session, member_pk, now=now, keep=keep_token)
    if refusal:
        raise refusal


def sign_in_member(db: Database, *, email: str, password: str, passwords: Passwords,
                   now: datetime) -> MemberSignedIn:
    """A member token for the right e-mail and password; NotAuthenticated otherwise."""
    email = email.strip().lower() if isinstance(email, str) else ""
    with db.transaction() as session:
        member = session.scalar(sa.select(MemberRow).join(MemberProfileRow)
                                .where(MemberProfileRow.email == email))
        login = _login(session, member.id) if member is not None else None
        refusal, attempts = throttle.check_secret(
            login and throttle.Attempts(login.failed_logins, login.locked_until),
            lambda: passwords.verify(login.password_hash, password), passwords, now, what="e-mail or password")
        if login is not None:
            login.failed_logins, login.locked_until = attempts.failures, attempts.locked_until
        if refusal is None and member.status != "active":
            refusal = NotAuthenticated(f"membership is {member.status}", code="member_not_active")
        if refusal is None:
            token, expires_at = issue_token(session, kind="member", ttl=MEMBER_SESSION, now=now, member_id=member.id)
            public_id = member.public_id
    if refusal is not None:
        raise refusal
    return MemberSignedIn(token, expires_at, public_id)


def confirm_member_password(db: Database, member_id: str, password: str, *, passwords: Passwords,
                            now: datetime) -> None:
    """Refuse, naming the ``password`` field, unless it is the member's: for what a session
    alone may not do (closing the account). Wrong guesses count toward the sign-in lockout."""
    with db.transaction() as session:
        login = _login(session, member_row(session, member_id, to_change=True).id)
        refusal, attempts = throttle.check_secret(
            throttle.Attempts(login.failed_logins, login.locked_until),
            lambda: login.password_hash is not None and passwords.verify(login.password_hash, password),
            passwords, now, what="password")
        login.failed_logins, login.locked_until = attempts.failures, attempts.locked_until
    if refusal is not None:  # after the commit: the failure is counted
        raise InvalidInput([Problem("password", refusal.message)])


def member_principal(db: Database, token: str | None, *, now: datetime) -> Principal:
    """The member a token belongs to; NotAuthenticated for a bad token or an inactive member."""
    with db.transaction() as session:
        member = session.get(MemberRow, live_token(session, token, kind="member", now=now).member_id)
        if member.status != "active":
            raise NotAuthenticated(f"membership is {member.status}", code="member_not_active")
        return Principal(kind="member", name=member.public_id)


def set_member_pin(db: Database, member_id: str, pin: str, *, passwords: Passwords) -> None:
    """Set the PIN a member types at the till to pay with a UID-only card."""
    refuse_if(pin_problems(pin))
    with db.transaction() as session:
        login = _login(session, member_row(session, member_id, to_change=True).id)
        login.pin_hash = passwords.hash(pin)
        login.failed_pins, login.pin_locked_until = 0, None


def check_member_pin(session: Session, member_pk: int, pin: str, *, passwords: Passwords,
                     now: datetime) -> NotAuthenticated | None:
    """Check a PIN inside the caller's transaction, counting failures; returns the refusal
    (to raise after the transaction commits the counters) or None when the PIN is right."""
    login = _login(session, member_pk)
    if login.pin_hash is None:
        return NotAuthenticated("the member has no PIN; set one in the member portal", code="no_pin")
    refusal, attempts = throttle.check_secret(throttle.Attempts(login.failed_pins, login.pin_locked_until),
                                              lambda: passwords.verify(login.pin_hash, pin), passwords, now,
                                              what="PIN")
    login.failed_pins, login.pin_locked_until = attempts.failures, attempts.locked_until
    return refusal


def _login(session: Session, member_pk: int) -> MemberLoginRow:
    login = session.get(MemberLoginRow, member_pk, with_for_update=True)
    if login is None:
        login = MemberLoginRow(member_id=member_pk, failed_logins=0, failed_pins=0)
        session.add(login)
    return login
