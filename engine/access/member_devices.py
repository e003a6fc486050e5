"""The devices members sign in from, and the codes that admit a new one.

Every sign-in of a member names its device: the caller gets a device token (random, kept
only as its SHA-256) to give with the member's later sign-ins; a member keeps their
``MAX_DEVICES`` most recently used devices. Where the programme asks for it
(``member_new_device_code``), signing in on a device the member never used takes a code as
well as the password, so that a password stolen or guessed elsewhere does not sign a
stranger in: the first try with the right password writes a ``sign_in_code`` message for the
mailer (six digits, live for ``CODE_LIFETIME``). One code lives at a time, so trying again
sends no more mail. A wrong code counts toward the sign-in lockout like a wrong password
(``engine.access.member_logins.sign_in_member`` checks both as one secret).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.access.tokens import live_secret_matches, token_hash
from engine.database import Database
from engine.members import member_row
from engine.messages import write_message
from engine.orm.access import MemberDeviceRow, MemberLoginRow

CODE_LIFETIME = timedelta(minutes=10)
MAX_DEVICES = 20


@dataclass(frozen=True)
class Device:
    first_used_at: datetime
    last_used_at: datetime


def devices_of(db: Database, member_id: str) -> list[Device]:
    """The devices the member signs in from, most recently used first (their tokens are not
    kept, only digests, so none is shown)."""
    with db.transaction() as session:
        d = MemberDeviceRow
        rows = session.execute(sa.select(d.created_at, d.last_used_at).where(
            d.member_id == member_row(session, member_id).id).order_by(d.last_used_at.desc(), d.id.desc()))
        return [Device(first, last) for first, last in rows]


def known_device(session: Session, member_pk: int, token: str | None) -> MemberDeviceRow | None:
    """The member's device that keeps ``token``, if any (another member's is not theirs)."""
    if not token:
        return None
    return session.scalar(sa.select(MemberDeviceRow).where(MemberDeviceRow.token_hash == token_hash(token),
                                                           MemberDeviceRow.member_id == member_pk))


def admit_device(session: Session, member_pk: int, *, now: datetime) -> str:
    """A new device of the member: its token (returned once). The member's least recently
    used devices beyond ``MAX_DEVICES`` are forgotten (they need a code again)."""
    token = secrets.token_urlsafe(32)
    session.add(MemberDeviceRow(member_id=member_pk, token_hash=token_hash(token), created_at=now, last_used_at=now))
    session.flush()
    stale = sa.select(MemberDeviceRow.id).where(MemberDeviceRow.member_id == member_pk).order_by(
        MemberDeviceRow.last_used_at.desc(), MemberDeviceRow.id.desc()).offset(MAX_DEVICES)
    session.execute(sa.delete(MemberDeviceRow).where(MemberDeviceRow.id.in_(stale.scalar_subquery())))
    return token


def send_device_code(session: Session, login: MemberLoginRow, *, now: datetime) -> None:
    """Write a ``sign_in_code`` message with a new code, unless a code is live already."""
    if login.device_code_hash is not None and now < login.device_code_expires_at:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    login.device_code_hash, login.device_code_expires_at = token_hash(code), now + CODE_LIFETIME
    write_message(session, kind="sign_in_code", member_pk=login.member_id,
                  payload={"code": code, "expires_at": login.device_code_expires_at.isoformat()}, now=now)


def code_matches(login: MemberLoginRow, code: str, *, now: datetime) -> bool:
    """Whether ``code`` is the member's live code."""
    return live_secret_matches(login.device_code_hash, login.device_code_expires_at, code, now)
