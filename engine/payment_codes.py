"""Paying a web shop's order with points: a code the member gives the shop, good for one payment.

At a till the member's card (and PIN where the programme asks for it) shows that the member
is there to pay. A web shop has no card to read, and a shop's backend naming a member must
not be able to spend that member's points. So the member, signed in (portal or app), asks
for a payment code and types it at the shop's checkout; the shop's backend (a terminal of
an online store) places a points hold naming the member and the code, then captures or voids
it as a till does.

Guarantees:

- a code pays for one hold, within ``VALID_FOR`` of its issue, of at most the points the
  member chose when asking for it;
- only for the member who asked for it, and only at a terminal of an online store (a till
  reads the card instead);
- asking for a new code withdraws the member's unused ones: one code at a time;
- the code is stored as its SHA-256 (60 random bits: no guessing within a code's life
  under the terminals' rate limit), and in the answer kept for a retry of the request that
  asked for it only sealed with the data keys (``engine.sealing``; as it is, like every
  sealed secret, on an installation without data keys); taking it is one conditional
  update, so two payments racing with one code cannot both have it;
- the code is taken in the hold's own transaction: a hold refused for another reason (not
  enough points) leaves it unused, and a retried request gets the first answer without
  taking it again.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.access.member_logins import confirm_member_password
from engine.access.passwords import Passwords
from engine.card_auth import online_store_terminal
from engine.database import Database
from engine.errors import NotAllowed, PasswordRequired, Problem, refuse_if
from engine.ledger.holds import MAX_HOLD_POINTS
from engine.ledger.idempotency import run_idempotent
from engine.members import member_row, refuse_unless_active
from engine.orm.access import PaymentCodeRow
from engine.orm.members import MemberRow
from engine.orm.stores import StoreRow, TerminalRow
from engine.rewards import password_needed_online
from engine.settings import read_settings

VALID_FOR = timedelta(minutes=15)
KEPT_FOR = timedelta(days=30)  # after a code's end: the hold it paid keeps the payment itself
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread
LENGTH = 12  # 60 bits, shown as three groups of four
# what a member may type for a letter that is not in the alphabet (Crockford's reading)
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True)
class IssuePaymentCode:
    member_id: str
    points: int  # the most the shop may take with it


@dataclass(frozen=True)
class PaymentCode:
    code: str  # as shown to the member: XXXX-XXXX-XXXX
    points: int
    expires_at: datetime

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("code",)  # sealed in the answer kept for a retry


def issue_payment_code(db: Database, command: IssuePaymentCode, *, password: str | None, passwords: Passwords,
                       caller: str, idempotency_key: str, now: datetime) -> PaymentCode:
    """A new payment code for the member, valid for ``VALID_FOR``; their unused codes are
    withdrawn. Refused for a member who may not spend points (suspended, closed). A code for
    more points than a reward may cost online without the password (the programme's
    ``online_redeem_password_above``) needs the member's password, as such a reward does
    (``engine.rewards.redeem_reward_online``): ``password_required`` leaves the idempotency
    key unspent; a wrong password counts toward the sign-in lockout."""
    confirmed = password is not None
    if confirmed:
        confirm_member_password(db, command.member_id, password, passwords=passwords, now=now)

    def work(session: Session) -> PaymentCode:
        if not (isinstance(command.points, int) and 0 < command.points <= MAX_HOLD_POINTS):
            refuse_if([Problem("points", f"must be a whole number from 1 to {MAX_HOLD_POINTS}")])
        member = member_row(session, command.member_id, lock=True, to_change=True)
        refuse_unless_active(member)
        settings = read_settings(session)
        if not confirmed and password_needed_online(command.points, settings):
            raise PasswordRequired(f"a payment code for {command.points} points: more than "
                                   f"{settings.online_redeem_password_above} points online need the member's password")
        session.execute(sa.update(PaymentCodeRow)
                        .where(PaymentCodeRow.member_id == member.id, PaymentCodeRow.used_at.is_(None),
                               PaymentCodeRow.expires_at > now)
                        .values(expires_at=now))
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        expires_at = now + VALID_FOR
        session.add(PaymentCodeRow(member_id=member.id, code_hash=_digest(code), points=command.points,
                                   created_at=now, expires_at=expires_at))
        return PaymentCode(code="-".join(code[i:i + 4] for i in range(0, LENGTH, 4)), points=command.points,
                           expires_at=expires_at)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="issue_payment_code", request=command,
                          now=now, work=work, result_type=PaymentCode)


@dataclass(frozen=True)
class PaymentCodeUse:
    """A payment code the member asked for, without the code (only its digest is kept)."""

    points: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_at_store: str | None  # the online store whose terminal took it


def payment_codes_of(db: Database, member_id: str) -> list[PaymentCodeUse]:
    """The payment codes the member asked for, newest first (for their data export)."""
    with db.transaction() as session:
        rows = session.execute(
            sa.select(PaymentCodeRow.points, PaymentCodeRow.created_at, PaymentCodeRow.expires_at,
                      PaymentCodeRow.used_at, StoreRow.code)
            .outerjoin(TerminalRow, TerminalRow.id == PaymentCodeRow.used_by_terminal_id)
            .outerjoin(StoreRow, StoreRow.id == TerminalRow.store_id)
            .where(PaymentCodeRow.member_id == member_row(session, member_id).id)
            .order_by(PaymentCodeRow.id.desc()))
        return [PaymentCodeUse(*row) for row in rows]


def purge_payment_codes(db: Database, *, as_of: datetime) -> int:
    """Forget the codes that ended (lapsed, withdrawn or used) more than ``KEPT_FOR`` before
    ``as_of``; how many. The holds they paid keep the payments."""
    with db.transaction() as session:
        # a code is used before its end, and withdrawing one ends it: its end is expires_at
        return session.execute(sa.delete(PaymentCodeRow).where(PaymentCodeRow.expires_at < as_of - KEPT_FOR)).rowcount


def take_payment_code(session: Session, *, terminal_code: str, member_id: str, code: str, points: int,
                      now: datetime) -> None:
    """Take ``code`` for a hold of ``points`` for ``member_id`` at ``terminal_code``, inside the
    hold's transaction, or refuse (``card_required`` at a till; ``payment_code_invalid`` for a
    code that is not the member's, used, withdrawn or expired; ``payment_code_limit`` above
    the points the member chose)."""
    terminal = online_store_terminal(session, terminal_code)
    if terminal is None:
        raise NotAllowed("at a till the member pays with points with their card, read at the till; only an online "
                         "store's terminals name the member with a payment code", code="card_required")
    found = session.execute(
        sa.select(PaymentCodeRow.id, PaymentCodeRow.points)
        .join(MemberRow, MemberRow.id == PaymentCodeRow.member_id)
        .where(PaymentCodeRow.code_hash == _digest(_typed(code)), MemberRow.public_id == member_id)).first()
    if found is None:
        raise NotAllowed(f"this is not a payment code of member {member_id}", code="payment_code_invalid")
    if points > found.points:
        raise NotAllowed(f"the member allowed at most {found.points} points with this payment code",
                         code="payment_code_limit")
    taken = session.execute(
        sa.update(PaymentCodeRow)
        .where(PaymentCodeRow.id == found.id, PaymentCodeRow.used_at.is_(None), PaymentCodeRow.expires_at > now)
        .values(used_at=now, used_by_terminal_id=terminal.id))
    if taken.rowcount != 1:
        raise NotAllowed("this payment code was used, replaced by a newer one or has expired: the member asks for "
                         "a new one", code="payment_code_invalid")


def _typed(code: str) -> str:
    """The code as the member may have typed it: any case, with spaces or dashes, O for 0."""
    return "".join(c for c in code.upper() if c.isalnum()).translate(_READ_AS)


def _digest(code: str) -> str:
    return hashlib.sha256(f"loyalty-payment-code:{code}".encode()).hexdigest()
