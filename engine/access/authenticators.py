"""Staff two-step sign-in: a code from an authenticator app (TOTP, RFC 6238: 6 digits, 30-second
steps, SHA-1, as every app supports), or one of ten recovery codes.

Guarantees:

- a staff account with a confirmed authenticator signs in only with a right code as well as
  the right password (``engine.access.staff.sign_in_staff``); wrong codes count toward the
  account's lockout like wrong passwords;
- a code is taken once: its time step, and every earlier one, is refused afterwards, so a
  code seen over a shoulder cannot be used again; a recovery code is used up;
- a secret counts only once a code from it is confirmed, so a mistyped set-up locks nobody
  out;
- the account's own session sets an authenticator up; only an admin removes one, so a
  stolen session cannot turn the second step off;
- where the programme asks every staff member for two steps, setting one up also takes a
  one-time code an admin made for the account (``allow_set_up``, live for a day), so that a
  stolen password of an account without an authenticator does not set up the thief's;
- new recovery codes (the old ones are void) take a code the authenticator shows now, not a
  recovery code: a wrong one counts toward the lockout.

Recovery codes are kept as SHA-256 digests (each carries about 50 random bits: a slow hash
adds nothing); the secret, which codes are computed from, is kept sealed with the data keys
(``engine.sealing``).
"""
from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa

from engine.access import throttle
from engine.access.passwords import Passwords
from engine.access.tokens import live_secret_matches, token_hash
from engine.database import Database
from engine.errors import Conflict, InvalidInput, InvalidState, NotAllowed, Problem, not_found
from engine.orm.access import StaffAccountRow
from engine.settings import read_settings

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone's clock may be a step off either way
RECOVERY_CODES = 10
SETUP_CODE_LIFETIME = timedelta(hours=24)
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


@dataclass(frozen=True)
class Enrolment:
    """A secret waiting for its first code: typed into the app, or ``uri`` as a QR code."""

    secret: str
    uri: str


@dataclass(frozen=True)
class AuthenticatorStatus:
    """Whether an account signs in with an authenticator, the secret it is setting up (if
    any) and how many recovery codes it has left."""

    confirmed: bool
    waiting: Enrolment | None
    recovery_codes_left: int


def authenticator_status(db: Database, username: str) -> AuthenticatorStatus:
    """Where ``username`` stands with two-step sign-in."""
    with db.transaction() as session:
        row = _account(session, username)
        waiting = None if row.totp_pending is None else _enrolment(session, row.totp_pending, username)
        return AuthenticatorStatus(row.totp_secret is not None, waiting, len(json.loads(row.recovery_codes or "[]")))


@dataclass(frozen=True)
class SetUpCode:
    """An admin's one-time code for setting up an account's authenticator, and its end."""

    code: str
    expires_at: datetime


def allow_set_up(db: Database, username: str, *, now: datetime) -> SetUpCode:
    """A one-time code, live for ``SETUP_CODE_LIFETIME``, with which ``username`` sets up an
    authenticator where two steps are required (an earlier code is void). Give it to the
    staff member in person. Refused (``authenticator_set``) while one is set up."""
    code = "-".join(_random_text(5) for _ in range(2))
    with db.transaction() as session:
        row = _account(session, username, for_update=True)
        _refuse_if_set(row, username)
        row.setup_code_hash, row.setup_code_expires_at = token_hash(code.replace("-", "")), now + SETUP_CODE_LIFETIME
        return SetUpCode(code, row.setup_code_expires_at)


def start_enrolment(db: Database, username: str, *, now: datetime, setup_code: str | None = None) -> Enrolment:
    """A new secret for ``username``'s authenticator, waiting to be confirmed (a secret
    waiting before is replaced). Refused (``authenticator_set``) while one is confirmed: an
    admin removes it first. Where two steps are required, it takes (and uses up) the
    admin's ``setup_code``: without a live one, ``setup_code_required``."""
    secret = pyotp.random_base32()
    with db.transaction() as session:
        row = _account(session, username, for_update=True)
        _refuse_if_set(row, username)
        if read_settings(session).staff_two_step_required:
            if not live_secret_matches(row.setup_code_hash, row.setup_code_expires_at, _typed(setup_code or ""), now):
                raise NotAllowed("the programme asks every staff member for two steps: setting up an authenticator "
                                 "takes the one-time code an admin made for this account", code="setup_code_required")
            row.setup_code_hash = row.setup_code_expires_at = None
        row.totp_pending = secret
        return _enrolment(session, secret, username)


def _refuse_if_set(row: StaffAccountRow, username: str) -> None:
    if row.totp_secret is not None:
        raise Conflict(f"{username} signs in with an authenticator already; an admin removes it before "
                       "another is set up", code="authenticator_set")


def confirm_enrolment(db: Database, username: str, code: str, *, now: datetime) -> list[str]:
    """Turn the waiting secret on with a right code from it; returns the recovery codes,
    which are shown this once. Refused without a secret waiting, or with a wrong code."""
    with db.transaction() as session:
        row = _account(session, username, for_update=True)
        if row.totp_pending is None:
            raise InvalidState("no authenticator is being set up; start again", code="authenticator_not_started")
        step = _code_step(row.totp_pending, code, now, after=None)
        if step is None:
            raise InvalidInput([Problem("code", "is not the code the authenticator shows now")])
        row.totp_secret, row.totp_pending, row.totp_last_step = row.totp_pending, None, step
        return _new_recovery_codes(row)


def renew_recovery_codes(db: Database, username: str, code: str, *, passwords: Passwords,
                         now: datetime) -> list[str]:
    """Ten new recovery codes for ``username`` (the old ones are void), shown this once, for
    a code the authenticator shows now (taken like a sign-in's). Refused without a confirmed
    authenticator; a wrong code is refused naming ``code`` and counts toward the lockout."""
    with db.transaction() as session:
        row = _account(session, username, for_update=True)
        if row.totp_secret is None:
            raise InvalidState(f"{username} has no authenticator to make recovery codes for",
                               code="authenticator_not_set")
        refusal, attempts = throttle.check_secret(
            throttle.Attempts(row.failed_logins, row.locked_until),
            lambda: _take_step(row, code, now), passwords, now, what="code")
        row.failed_logins, row.locked_until = attempts.failures, attempts.locked_until
        codes = None if refusal is not None else _new_recovery_codes(row)
    if refusal is not None:  # after the commit: the failure is counted
        raise InvalidInput([Problem("code", refusal.message)])
    return codes


def _new_recovery_codes(row: StaffAccountRow) -> list[str]:
    codes = ["-".join(_random_text(5) for _ in range(2)) for _ in range(RECOVERY_CODES)]
    row.recovery_codes = json.dumps(sorted(token_hash(c.replace("-", "")) for c in codes))
    return codes


def remove_authenticator(db: Database, username: str) -> None:
    """Forget ``username``'s authenticator and recovery codes (a lost phone): the account
    signs in with its password alone until it sets another up."""
    with db.transaction() as session:
        row = _account(session, username, for_update=True)
        row.totp_secret = row.totp_pending = row.totp_last_step = row.recovery_codes = None


def second_step_holds(row: StaffAccountRow, code: str, now: datetime) -> bool:
    """Whether ``code`` is ``row``'s authenticator code now, not taken before, or one of its
    recovery codes; either is taken (the row changes: the caller's transaction keeps it)."""
    if not isinstance(code, str):
        return False
    typed = _typed(code)
    if _take_step(row, typed, now):
        return True
    unused = json.loads(row.recovery_codes or "[]")
    digest = token_hash(typed)
    if digest in unused:
        unused.remove(digest)
        row.recovery_codes = json.dumps(unused)
        return True
    return False


def _take_step(row: StaffAccountRow, code: str, now: datetime) -> bool:
    """Whether ``code`` is ``row``'s authenticator code now, not taken before; it is taken."""
    step = _code_step(row.totp_secret, code, now, after=row.totp_last_step)
    if step is not None:
        row.totp_last_step = step
    return step is not None


def _enrolment(session, secret: str, username: str) -> Enrolment:
    """The app's entry: named after the programme and the account."""
    issuer = read_settings(session).name
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer))


def _code_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """The time step near ``now`` whose code ``code`` is (later than ``after``), or None; the
    code may be typed as the app shows it (``123 456``)."""
    code = _typed(code) if isinstance(code, str) else code
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _typed(code: str) -> str:
    """A code as it was made: without the spaces and dashes that apps show and people type."""
    return code.replace(" ", "").replace("-", "").lower()


def _random_text(length: int) -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(length))


def _account(session, username: str, *, for_update: bool = False) -> StaffAccountRow:
    query = sa.select(StaffAccountRow).where(StaffAccountRow.username == username)
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise not_found("staff account", username)
    return row
