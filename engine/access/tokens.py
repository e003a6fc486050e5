"""Opaque bearer tokens for signed-in members and staff, and for card sessions at a till.

Guarantees: a token is 256 random bits shown once; only its SHA-256 is stored, so a
database reader cannot sign in; a token works for its kind only, until it expires or is
revoked.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import NotAuthenticated
from engine.orm.access import AccessTokenRow
from engine.settings import read_settings


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def live_secret_matches(kept_hash: str | None, expires_at: datetime | None, secret: str, now: datetime) -> bool:
    """Whether ``secret`` is the one-time secret kept as ``kept_hash`` (``token_hash``) and it
    has not expired (compared in constant time)."""
    return (kept_hash is not None and now < expires_at
            and hmac.compare_digest(kept_hash, token_hash(secret)))


def issue_token(session: Session, *, kind: str, ttl: timedelta, now: datetime, **subject) -> tuple[str, datetime]:
    """A new token of ``kind`` for ``subject`` (member_id / staff_id / card_id / terminal_id /
    can_redeem row values), valid for ``ttl``; returns the token and its expiry."""
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(AccessTokenRow(token_hash=token_hash(token), kind=kind, issued_at=now,
                               expires_at=expires_at, **subject))
    return token, expires_at


def live_token(session: Session, token: str | None, *, kind: str, now: datetime) -> AccessTokenRow:
    """The stored row of a valid token of ``kind``; NotAuthenticated otherwise (one message
    for unknown, expired and revoked, so a guesser learns nothing)."""
    row = session.get(AccessTokenRow, token_hash(token)) if isinstance(token, str) and token else None
    if row is None or row.kind != kind or row.revoked_at is not None or now >= row.expires_at:
        raise NotAuthenticated(f"the {kind} token is missing, unknown, expired or revoked; sign in again",
                               code="invalid_token")
    return row


def revoke_token(db: Database, token: str, *, now: datetime) -> None:
    """End a token at once (sign-out); revoking an unknown or ended token does nothing."""
    with db.transaction() as session:
        session.execute(sa.update(AccessTokenRow).where(AccessTokenRow.token_hash == token_hash(token),
                                                        AccessTokenRow.revoked_at.is_(None))
                        .values(revoked_at=now))


def revoke_member_tokens(session: Session, member_pk: int, *, now: datetime, keep: str | None = None) -> int:
    """End every live sign-in session of the member but ``keep``;
    returns how many ended."""
    query = sa.update(AccessTokenRow).where(AccessTokenRow.member_id == member_pk, AccessTokenRow.kind == "member",
                                            AccessTokenRow.revoked_at.is_(None), AccessTokenRow.expires_at > now)
    if keep:
        query = query.where(AccessTokenRow.token_hash != token_hash(keep))
    return session.execute(query.values(revoked_at=now)).rowcount


def purge_tokens(db: Database, *, as_of: datetime) -> int:
    """Delete tokens that expired more than a day before ``as_of``, card sessions once the
    programme's offline age has passed too (a till's sale kept through an outage still
    earns on the card session it was made in); returns how many."""
    with db.transaction() as session:
        kept_for = max(timedelta(days=1), timedelta(hours=read_settings(session).offline_max_age_hours))
        return session.execute(sa.delete(AccessTokenRow).where(
            AccessTokenRow.expires_at < as_of - timedelta(days=1),
            sa.or_(AccessTokenRow.kind != "card", AccessTokenRow.expires_at < as_of - kept_for))).rowcount
