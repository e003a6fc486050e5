"""Who and where a ledger command is about: the member (by id or card) and the till.

Guarantees: a member is identified only through an active card or as an active member
(a suspended or closed member is refused with ``member_not_active``: no earning, no hold);
a terminal only in its own store and while active. Each refusal names what was wrong.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.cards import card_in_session, card_row, normalised_number, remember_card
from engine.errors import InvalidState, NotFound, not_found
from engine.ledger.accounts import lock_member_account, remember_locked_account
from engine.ledger.idempotency import FirstRead, carrying_claim
from engine.members import member_row, refuse_unless_active
from engine.orm.cards import CardRow
from engine.orm.hand_loaded import LoadedTogether, relate
from engine.orm.ledger import AccountRow, ReceiptRow
from engine.orm.members import MemberProfileRow, MemberRow
from engine.snapshot import StoreInfo, TerminalInfo, programme


def identify_member(session: Session, *, member_id: str | None, card_number: str | None) -> MemberRow:
    """The active member named by ``member_id`` or by an active card's number."""
    if card_number is not None:
        card = card_row(session, card_number)
        if card.status != "active":
            raise InvalidState(f"card {card.number} is {card.status}; it cannot be used",
                               code=f"card_{card.status}")
        member = card.member
    else:
        member = member_row(session, member_id)
    refuse_unless_active(member)
    return member


def member_with_locked_account(session: Session, *, member_id: str | None,
                               card_number: str | None) -> tuple[MemberRow, AccountRow]:
    """The active member (as ``identify_member``) and their account, locked until the
    transaction ends: one statement for both when a card names the member."""
    if card_number is not None:
        read_card_with_locked_account(session, card_number)
    member = identify_member(session, member_id=member_id, card_number=card_number)
    return member, lock_member_account(session, member.id)


def read_card_with_locked_account(session: Session, card_number: str) -> None:
    """Read the card and its member's account, locked, in one statement, unless the
    transaction read the card already: ``card_row`` and ``lock_member_account`` answer them
    from then on (a card without a member account is not found, and is refused by the
    checks that read it again)."""
    if not card_in_session(session, card_number):
        found = session.execute(_CARD_WITH_ACCOUNT, {"number": normalised_number(card_number)}).first()
        if found is not None:
            remember_card_and_account(session, found.CardRow, found.AccountRow)


def remember_card_and_account(session: Session, card: CardRow, account: AccountRow) -> None:
    """Let ``card_row`` and ``lock_member_account`` answer ``card`` and its member's locked
    ``account``, read along with something else, for the rest of the transaction."""
    remember_card(session, card)
    remember_locked_account(session, account)


# A command that names a card locks the member's account next: reading the account, locked,
# with the card saves that round trip. A card without a member account is not found here;
# identify_member reads it again and refuses it properly.
_CARD_WITH_ACCOUNT = (sa.select(CardRow, AccountRow).join(AccountRow, AccountRow.member_id == CardRow.member_id)
                      .where(CardRow.number == sa.bindparam("number")).with_for_update(of=AccountRow)
                      .execution_options(populate_existing=True))


def card_first_read(card_number: str) -> FirstRead:
    """The first read of a command that names a card by its number (an accrual without a card
    session: a UID-only card's, one with offline evidence, or the engine's own callers';
    ``engine.ledger.idempotency.FirstRead``): the card, the member and the member's account
    (locked), with the idempotency key's claim in the same statement, sent through the driver
    (``engine.orm.hand_loaded``). An unknown card reads nothing, and the key is claimed on
    its own."""
    return FirstRead(_CARD_WITH_ACCOUNT_AND_CLAIM, {"number": normalised_number(card_number)},
                      lambda session, found: remember_attached_card(session, *CARD_MEMBER_ACCOUNT.attach(session, found)))


# A card with its member (and the member's profile, which the rules read) and the member's
# account, read through the driver: ``with_member_and_account`` joins them to a statement
# selecting from cards, ``remember_attached_card`` takes what ``CARD_MEMBER_ACCOUNT`` attached.
CARD_MEMBER_ACCOUNT = LoadedTogether(CardRow, AccountRow, MemberRow, MemberProfileRow)


def with_member_and_account(statement: sa.Select) -> sa.Select:
    """``statement`` (from cards) joined to the card's member, the member's profile (outer)
    and the member's account, locked."""
    return (statement.join(AccountRow, AccountRow.member_id == CardRow.member_id)
            .join(MemberRow, MemberRow.id == CardRow.member_id)
            .outerjoin(MemberProfileRow, MemberProfileRow.member_id == MemberRow.id).with_for_update(of=AccountRow))


def remember_attached_card(session: Session, card: CardRow, account: AccountRow, member: MemberRow,
                           profile: MemberProfileRow | None) -> None:
    """Relate the attached card, member and profile as the ORM's joined load would, and let
    ``card_row`` and ``lock_member_account`` answer the card and the account."""
    relate(card, "member", member)
    relate(member, "profile", profile)
    remember_card_and_account(session, card, account)


_CARD_WITH_ACCOUNT_AND_CLAIM = carrying_claim(with_member_and_account(
    sa.select(*CARD_MEMBER_ACCOUNT.columns).select_from(CardRow).where(CardRow.number == sa.bindparam("number"))))


def till(session: Session, store_code: str, terminal_code: str) -> tuple[StoreInfo, TerminalInfo]:
    """The store and its active terminal; refuses a terminal of another store."""
    store, terminal = receipt_till(session, store_code, terminal_code)
    if terminal.status != "active":
        raise InvalidState(f"terminal {terminal_code} is {terminal.status}", code=f"terminal_{terminal.status}")
    return store, terminal


def receipt_till(session: Session, store_code: str, terminal_code: str) -> tuple[StoreInfo, TerminalInfo]:
    """The store and its terminal, active or retired, as a receipt names them: a retired till's
    sales stay as they were, returned at another till of its store or by the service team.
    Refuses a terminal of another store."""
    known = programme(session)
    store = known.stores.get(store_code)
    if store is None:
        raise not_found("store", store_code)
    terminal = known.terminals.get(terminal_code)
    if terminal is None or terminal.store_id != store.id:
        raise NotFound(f"unknown terminal {terminal_code!r} in store {store_code!r}", code="unknown_terminal")
    return store, terminal


def till_receipt(session: Session, store: StoreInfo, terminal: TerminalInfo, receipt_number: str) -> ReceiptRow | None:
    """The receipt ``receipt_number`` of the till (``till``'s or ``receipt_till``'s answer) that
    earned points, if any."""
    return session.scalar(sa.select(ReceiptRow).where(
        ReceiptRow.store_id == store.id, ReceiptRow.terminal_id == terminal.id,
        ReceiptRow.receipt_number == receipt_number))
