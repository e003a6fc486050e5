"""Issuing member cards and moving them through their lifecycle.

Guarantees: a card number exists at most once; every change of status follows
``card_lifecycle.TRANSITIONS`` and is refused otherwise with the reason; replacing a card
marks the old one ``replaced`` and issues the new one to the same member in one
transaction, so the member's points (which belong to the member, not the card) follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import card_lifecycle
from engine.card_numbers import new_applet_number, normalise_uid, number_problem
from engine.database import Database, insert_unique
from engine.errors import Conflict, InvalidState, Problem, not_found, refuse_if
from engine.members import member_row
from engine.messages import write_message
from engine.orm.cards import CardRow

MAX_KEY_VERSION = 255  # one byte on the card

_SEEN_KEY = "cards_by_number"  # session.info: the card rows read in this transaction


@dataclass(frozen=True)
class Card:
    number: str
    kind: str
    key_version: int | None
    status: str
    member_id: str
    block_reason: str | None
    replaced_by: str | None
    issued_at: datetime
    status_changed_at: datetime


def issue_card(db: Database, *, member_id: str, kind: str = "applet", number: str | None = None,
               key_version: int | None = None, now: datetime) -> Card:
    """Issue a card to an active member.

    An applet card gets a fresh number unless one is given, and key version 1 unless
    another is given; a UID-only card is known by its UID, which must be given.
    """
    with db.transaction() as session:
        member = member_row(session, member_id)
        if member.status != "active":
            raise InvalidState(f"member {member_id} is {member.status}; cards go to active members only",
                               code="member_not_active")
        row = _new_card_row(session, member.id, kind, number, key_version, now)
        return to_card(row)


def activate_card(db: Database, number: str, *, now: datetime) -> Card:
    """Make an issued card usable, and tell the member (a ``card_usable`` message: a card
    someone else had made for their account would spend their points)."""
    return _transition(db, number, "activate", now=now)


def block_card(db: Database, number: str, *, reason: str, now: datetime) -> Card:
    """Block a card at once (lost, stolen, misuse); the reason is mandatory."""
    if not (isinstance(reason, str) and 0 < len(reason.strip()) <= 200):
        refuse_if([Problem("reason", "say why the card is blocked (at most 200 characters)")])
    return _transition(db, number, "block", now=now, block_reason=reason.strip())


def unblock_card(db: Database, number: str, *, now: datetime) -> Card:
    """Lift a block placed by mistake (a found card), and tell the member (``card_usable``)."""
    return _transition(db, number, "unblock", now=now)


def retire_card(db: Database, number: str, *, now: datetime) -> Card:
    """Take a card out of use for good."""
    return _transition(db, number, "retire", now=now)


def replace_card(db: Database, number: str, *, new_number: str | None = None,
                 key_version: int | None = None, now: datetime) -> Card:
    """Replace a card with a new one of the same kind for the same member; returns the new card."""
    with db.transaction() as session:
        old = card_row(session, number, lock=True)
        _check_transition(old, "replace")
        new = _new_card_row(session, old.member_id, old.kind, new_number,
                            key_version if key_version is not None else old.key_version, now)
        _apply(old, "replace", now)
        old.replaced_by_id = new.id
        return to_card(new)


def get_card(db: Database, number: str) -> Card:
    """The card with ``number`` (any spelling of a UID); refuses an unknown one."""
    with db.transaction() as session:
        return to_card(card_row(session, number))


def list_cards(db: Database, *, member_id: str | None = None) -> list[Card]:
    """Cards, of one member if named, in the order they were issued."""
    with db.transaction() as session:
        query = sa.select(CardRow).order_by(CardRow.id)
        if member_id is not None:
            query = query.where(CardRow.member_id == member_row(session, member_id).id)
        return [to_card(row) for row in session.scalars(query)]


def card_row(session: Session, number: str, *, lock: bool = False) -> CardRow:
    """The card's row inside a caller's transaction, locked for update if asked; refuses an unknown card.

    Read once per transaction: the row found is kept in the session (an accrual names its
    card three times on the way: proof, card session, member)."""
    normalised = normalised_number(number)
    seen = session.info.setdefault(_SEEN_KEY, {})
    if not lock and normalised in seen:
        return seen[normalised]
    query = sa.select(CardRow).where(CardRow.number == normalised)
    if lock:
        query = query.with_for_update(of=CardRow)
    row = session.scalar(query)
    if row is None:
        raise not_found("card", number)
    seen[normalised] = row
    return row


def card_in_session(session: Session, number: str) -> bool:
    """Whether this transaction has read the card already (``card_row`` answers it without asking)."""
    return normalised_number(number) in session.info.get(_SEEN_KEY, {})


def remember_card(session: Session, row: CardRow) -> None:
    """Let ``card_row`` answer ``row`` for the rest of the transaction (it was read along with
    something else)."""
    session.info.setdefault(_SEEN_KEY, {})[row.number] = row


def to_card(row: CardRow) -> Card:
    """The plain-data view of a card row."""
    return Card(number=row.number, kind=row.kind, key_version=row.key_version, status=row.status,
                member_id=row.member.public_id, block_reason=row.block_reason,
                replaced_by=row.replaced_by.number if row.replaced_by else None,
                issued_at=row.issued_at, status_changed_at=row.status_changed_at)


def _new_card_row(session: Session, member_pk: int, kind: str, number: str | None,
                  key_version: int | None, now: datetime) -> CardRow:
    problems = []
    if kind not in card_lifecycle.CARD_KINDS:
        problems.append(Problem("kind", f"must be one of {', '.join(card_lifecycle.CARD_KINDS)}"))
    elif kind == "uid":
        if number is None:
            problems.append(Problem("number", "a UID-only card needs its UID"))
        if key_version is not None:
            problems.append(Problem("key_version", "a UID-only card holds no key"))
    else:
        key_version = 1 if key_version is None else key_version
        if not (isinstance(key_version, int) and 1 <= key_version <= MAX_KEY_VERSION):
            problems.append(Problem("key_version", f"must be a whole number from 1 to {MAX_KEY_VERSION}"))
        number = new_applet_number() if number is None else number
    if number is not None and kind in card_lifecycle.CARD_KINDS:
        number = normalised_number(number) if kind == "uid" else number
        problem = number_problem(kind, number)
        if problem:
            problems.append(Problem("number", problem))
    refuse_if(problems)
    if session.scalar(sa.select(CardRow.id).where(CardRow.number == number)) is not None:
        raise _duplicate(number)
    row = CardRow(number=number, kind=kind, key_version=key_version, status="issued",
                  member_id=member_pk, issued_at=now, status_changed_at=now)
    insert_unique(session, row, _duplicate(number))
    return row


def _transition(db: Database, number: str, action: str, *, now: datetime,
                block_reason: str | None = None) -> Card:
    with db.transaction() as session:
        row = card_row(session, number, lock=True)
        _check_transition(row, action)
        _apply(row, action, now, block_reason)
        if row.status == "active":
            write_message(session, kind="card_usable", member_pk=row.member_id, now=now,
                          payload={"card_ending": row.number[-4:], "how": card_lifecycle.past_tense(action),
                                   "at": now.isoformat()})
        return to_card(row)


def _check_transition(row: CardRow, action: str) -> None:
    refusal = card_lifecycle.transition_refusal(action, row.status)
    if refusal:
        raise InvalidState(f"card {row.number}: {refusal}", code=f"card_{row.status}")


def _apply(row: CardRow, action: str, now: datetime, block_reason: str | None = None) -> None:
    row.status = card_lifecycle.status_after(action)
    row.block_reason = block_reason if row.status == "blocked" else None
    row.status_changed_at = now


def normalised_number(number: str) -> str:
    """A card number as it is stored (UID-only cards' identifiers normalised)."""
    return normalise_uid(number) if isinstance(number, str) else number


def _duplicate(number: str) -> Conflict:
    return Conflict(f"card number {number} is already issued", code="duplicate_card_number")
