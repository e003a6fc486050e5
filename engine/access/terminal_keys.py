"""Terminal signing keys: each till signs its requests with a secret bound to it (and so
to its store); keys are revocable and a terminal may hold a new one while the old one is
still being replaced.

Guarantees: the secret is 256 random bits, shown once when issued and kept sealed with the
data keys (``engine.sealing``); a revoked key, a key of a retired terminal or an unknown key
identifies nobody.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.database import Database
from engine.errors import InvalidState, NotAuthenticated, not_found
from engine.orm.access import TerminalCredentialRow
from engine.orm.stores import StoreRow, TerminalRow
from engine.snapshot import ProgrammeSnapshot, current_programme
from engine.stores import terminal_row


@dataclass(frozen=True)
class TerminalKey:
    key_id: str
    terminal_code: str
    store_code: str
    created_at: datetime
    revoked_at: datetime | None
    secret: str | None = None  # only when the key is issued, or when a request is checked


def issue_terminal_key(db: Database, terminal_code: str, *, now: datetime) -> TerminalKey:
    """A new signing key for an active terminal (a retired one is refused); the result is the
    only place the secret shows."""
    with db.transaction() as session:
        terminal = terminal_row(session, terminal_code)
        if terminal.status != "active":
            raise InvalidState(f"terminal {terminal_code} is {terminal.status}: it gets no new key",
                               code=f"terminal_{terminal.status}")
        row = TerminalCredentialRow(key_id="tk_" + secrets.token_hex(10), terminal_id=terminal.id,
                                    secret=secrets.token_urlsafe(32), created_at=now)
        session.add(row)
        return _key(row, terminal.code, terminal.store.code, with_secret=True)


def revoke_terminal_key(db: Database, key_id: str, *, now: datetime) -> TerminalKey:
    """Stop a key at once; revoking twice keeps the first time."""
    with db.transaction() as session:
        row = session.scalar(sa.select(TerminalCredentialRow).where(TerminalCredentialRow.key_id == key_id))
        if row is None:
            raise not_found("terminal key", key_id)
        row.revoked_at = row.revoked_at or now
        terminal = session.get(TerminalRow, row.terminal_id)
        return _key(row, terminal.code, terminal.store.code)


def list_terminal_keys(db: Database, terminal_code: str | None = None) -> list[TerminalKey]:
    """Keys (without secrets), newest first, of one terminal or of all."""
    with db.transaction() as session:
        query = (sa.select(TerminalCredentialRow, TerminalRow.code, StoreRow.code)
                 .join(TerminalRow, TerminalRow.id == TerminalCredentialRow.terminal_id)
                 .join(StoreRow, StoreRow.id == TerminalRow.store_id)
                 .order_by(TerminalCredentialRow.id.desc()))
        if terminal_code is not None:
            query = query.where(TerminalRow.code == terminal_code)
        return [_key(row, terminal, store) for row, terminal, store in session.execute(query)]


def signing_key(db: Database, key_id: str, snapshot: ProgrammeSnapshot | None = None) -> TerminalKey:
    """The live key ``key_id`` with its secret, to check a request's signature (in
    ``snapshot``, when the caller holds the current configuration already)."""
    found = (snapshot or current_programme(db)).terminal_keys.get(key_id)
    if found is None:
        raise NotAuthenticated("unknown or revoked terminal key", code="invalid_terminal_key")
    return TerminalKey(key_id=key_id, terminal_code=found.terminal_code, store_code=found.store_code,
                       created_at=found.created_at, revoked_at=None, secret=found.secret)


def _key(row: TerminalCredentialRow, terminal: str, store: str, *, with_secret: bool = False) -> TerminalKey:
    return TerminalKey(key_id=row.key_id, terminal_code=terminal, store_code=store, created_at=row.created_at,
                       revoked_at=row.revoked_at, secret=row.secret if with_secret else None)
