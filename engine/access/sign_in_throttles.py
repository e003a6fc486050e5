"""Sign-in throttling of names nobody has: an e-mail address no member has, a username no
staff account has.

Guarantee: such a name locks out after as many wrong guesses as an account's own, for as
long, with the same words (``throttle``), so a lockout tells nobody whether the name is
someone's. The counters are kept by the SHA-256 of the name (members' addresses and staff
usernames apart), never the name itself, and forgotten after a quiet month (past any
lockout: the longest is a day). The sign-in endpoints' rate limit per source address bounds
how many names one source can add.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.access import throttle
from engine.access.passwords import Passwords
from engine.access.tokens import token_hash
from engine.database import Database, insert_unless_taken
from engine.errors import NotAuthenticated
from engine.orm.access import SignInThrottleRow

QUIET_MONTH = timedelta(days=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def refuse_unknown(session: Session, name: str, password: object, passwords: Passwords, now: datetime, *,
                   what: str) -> NotAuthenticated:
    """The refusal of a sign-in with ``name`` nobody has, after the same work as a wrong
    guess (an argon2 check of ``password``), counted against the name in the caller's
    transaction (which must commit before the refusal is raised)."""
    name_hash = token_hash(name)
    insert_unless_taken(session, SignInThrottleRow.__table__, ["name_hash"],
                        {"name_hash": name_hash, "failures": 0, "last_failed_at": _EPOCH},
                        SignInThrottleRow.__table__.c.name_hash)
    row = session.get(SignInThrottleRow, name_hash, with_for_update=True, populate_existing=True)
    refusal, attempts = throttle.check_secret(
        throttle.Attempts(row.failures, row.locked_until),
        lambda: passwords.verify(passwords.decoy_hash, str(password)) and False, passwords, now, what=what)
    row.failures, row.locked_until, row.last_failed_at = attempts.failures, attempts.locked_until, now
    return refusal


def purge_sign_in_throttles(db: Database, *, as_of: datetime) -> int:
    """Forget the counters of names that saw no wrong guess for a month; returns how many."""
    with db.transaction() as session:
        return session.execute(sa.delete(SignInThrottleRow).where(
            SignInThrottleRow.last_failed_at < as_of - QUIET_MONTH)).rowcount
