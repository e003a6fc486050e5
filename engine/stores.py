"""Stores and their terminals: creating and listing them.

Store and terminal codes are short upper-case identifiers chosen by the operator (they
appear on receipts and in reports); each is unique. A terminal belongs to exactly one store.
A store sells through one channel (``CHANNELS``): ``store``, a shop whose tills read members'
cards, or ``online``, a web shop whose backend (a terminal of the store, with its own
credential) posts orders naming the member; an online store's sales are ``online`` to the
rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unique
from engine.errors import Conflict, Problem, not_found, refuse_if
from engine.ledger.basket import CHANNELS
from engine.orm.stores import StoreRow, TerminalRow
from engine.programme import is_valid_timezone

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
CODE_RULE = "1 to 32 characters: capital letters, digits, '-' or '_', starting with a letter or digit"


@dataclass(frozen=True)
class Store:
    code: str
    name: str
    timezone: str
    group: str | None
    channel: str = "store"


@dataclass(frozen=True)
class Terminal:
    code: str
    store_code: str
    name: str
    status: str


def create_store(db: Database, *, code: str, name: str, timezone: str,
                 group: str | None = None, channel: str = "store", now: datetime) -> Store:
    """Create a store (``channel``: ``store`` or ``online``); refuses an invalid field or a
    code already taken."""
    problems = _code_problems("code", code) + _name_problems(name)
    if channel not in CHANNELS:
        problems.append(Problem("channel", f"must be one of {', '.join(CHANNELS)}"))
    if not is_valid_timezone(timezone):
        problems.append(Problem("timezone", f"{timezone!r} is not an IANA time zone such as Europe/Berlin"))
    if group is not None:
        problems += _code_problems("group", group)
    refuse_if(problems)
    with db.transaction() as session:
        if session.scalar(sa.select(StoreRow.id).where(StoreRow.code == code)) is not None:
            raise _duplicate("store", code)
        row = StoreRow(code=code, name=name.strip(), timezone=timezone, group_code=group, channel=channel,
                       created_at=now)
        insert_unique(session, row, _duplicate("store", code))
        return _store(row)


def list_stores(db: Database) -> list[Store]:
    """Every store, ordered by code."""
    with db.transaction() as session:
        return [_store(row) for row in session.scalars(sa.select(StoreRow).order_by(StoreRow.code))]


def get_store(db: Database, code: str) -> Store:
    """The store with ``code``; refuses an unknown one."""
    with db.transaction() as session:
        return _store(store_row(session, code))


def create_terminal(db: Database, *, code: str, store_code: str, name: str | None = None,
                    now: datetime) -> Terminal:
    """Register a till in a store; refuses an unknown store or a code already taken."""
    problems = _code_problems("code", code)
    if name is not None:
        problems += _name_problems(name)
    refuse_if(problems)
    with db.transaction() as session:
        store = store_row(session, store_code)
        if session.scalar(sa.select(TerminalRow.id).where(TerminalRow.code == code)) is not None:
            raise _duplicate("terminal", code)
        row = TerminalRow(code=code, store=store, name=(name or code).strip(), status="active",
                          created_at=now)
        insert_unique(session, row, _duplicate("terminal", code))
        return _terminal(row)


def retire_terminal(db: Database, code: str) -> Terminal:
    """Retire a terminal for good (a till taken out, a web shop's backend replaced): its keys
    identify nobody from then on and no new key is issued for it; its sales stay as they
    were. Retiring twice changes nothing; refuses an unknown code."""
    with db.transaction() as session:
        row = terminal_row(session, code)
        row.status = "retired"
        return _terminal(row)


def terminal_row(session: Session, code: str) -> TerminalRow:
    """The terminal with ``code``; refuses an unknown one."""
    row = session.scalar(sa.select(TerminalRow).where(TerminalRow.code == code))
    if row is None:
        raise not_found("terminal", code)
    return row


def list_terminals(db: Database, *, store_code: str | None = None) -> list[Terminal]:
    """Every terminal (of one store, if named), ordered by code."""
    with db.transaction() as session:
        query = sa.select(TerminalRow).join(TerminalRow.store).order_by(TerminalRow.code)
        if store_code is not None:
            query = query.where(StoreRow.id == store_row(session, store_code).id)
        return [_terminal(row) for row in session.scalars(query)]


def store_row(session: Session, code: str) -> StoreRow:
    """The store's row inside a caller's transaction; refuses an unknown store."""
    row = session.scalar(sa.select(StoreRow).where(StoreRow.code == code))
    if row is None:
        raise not_found("store", code)
    return row


def _duplicate(kind: str, code: str) -> Conflict:
    return Conflict(f"a {kind} with code {code!r} already exists", code=f"duplicate_{kind}")


def _code_problems(field: str, code: object) -> list[Problem]:
    if isinstance(code, str) and _CODE.match(code):
        return []
    return [Problem(field, f"{code!r} is not a valid code: {CODE_RULE}")]


def _name_problems(name: object) -> list[Problem]:
    if isinstance(name, str) and 0 < len(name.strip()) <= 100:
        return []
    return [Problem("name", "must be a non-empty text of at most 100 characters")]


def _store(row: StoreRow) -> Store:
    return Store(code=row.code, name=row.name, timezone=row.timezone, group=row.group_code, channel=row.channel)


def _terminal(row: TerminalRow) -> Terminal:
    return Terminal(code=row.code, store_code=row.store.code, name=row.name, status=row.status)
