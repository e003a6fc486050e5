"""Proving that a real card is at the till, as DESIGN.md section 5 fixes it.

Guarantees:
- an online challenge is random, bound to one terminal and one card, stored in the
  database (any API node can check the answer), short-lived and single-use: the first
  answer, right or wrong, uses it up;
- a right answer opens a card session: a short-lived token bound to the terminal and the
  card, which the till presents to pay with points;
- a UID-only card is an identifier claim: its session may earn, and may pay with points
  only after the member's PIN (when the programme asks for one; PINs are throttled);
- offline evidence (the card's answer to a challenge the till built from terminal,
  receipt, sale time and counter) is accepted once per (card, terminal, counter), for
  accruals only, up to the programme's maximum offline age;
- a copy of a card number alone never opens a session that can pay with points.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import instants
from engine.access.member_logins import check_member_pin
from engine.access.passwords import Passwords
from engine.access.tokens import issue_token, live_token, token_hash
from engine.card_keys import MasterKeys, answer_matches, new_challenge, offline_challenge
from engine.cards import card_row, issue_card, remember_card
from engine.database import Database
from engine.errors import (InvalidInput, InvalidState, LoyaltyError, NotAllowed, NotAuthenticated, NotFound,
                           Problem)
from engine.ledger.idempotency import FirstRead, carrying_claim
from engine.ledger.lots import holdings
from engine.ledger.parties import (CARD_MEMBER_ACCOUNT, identify_member, read_card_with_locked_account,
                                   remember_attached_card, remember_card_and_account, with_member_and_account)
from engine.orm.access import AccessTokenRow, CardChallengeRow, OfflineCardProofRow
from engine.orm.cards import CardRow
from engine.orm.hand_loaded import LoadedTogether
from engine.orm.ledger import AccountRow
from engine.orm.members import MemberRow
from engine.orm.stores import TerminalRow
from engine.settings import read_settings
from engine.snapshot import TerminalInfo, programme

CHALLENGE_TTL = timedelta(seconds=60)
CARD_SESSION_TTL = timedelta(minutes=15)  # a tap at the start of a long sale still pays at its end

# How long before the card's tap a sale it earns may be dated: a basket rung up while the
# member finds their card. Far less than a till's offline age, the window a backdated sale
# (a cashier's own card tapped once for the day's sales of customers without one) had before.
SALE_BEFORE_TAP = timedelta(minutes=10)


@dataclass(frozen=True)
class CardChallenge:
    challenge_id: str
    challenge: bytes
    expires_at: datetime


@dataclass(frozen=True)
class MemberSummary:
    """What the cashier's screen shows: enough to greet the member, nothing more."""
    member_id: str
    display_name: str
    tier: str | None
    available: int
    pending: int


@dataclass(frozen=True)
class CardSession:
    token: str
    expires_at: datetime
    can_redeem: bool
    card_number: str
    member: MemberSummary


def issue_card_challenge(db: Database, *, terminal_code: str, card_number: str, now: datetime) -> CardChallenge:
    """A fresh challenge for our (applet) card at this terminal."""
    with db.transaction() as session:
        terminal = _terminal(session, terminal_code)
        card = _usable_card(session, card_number)
        if card.kind != "applet":
            raise InvalidInput([Problem("card_number", "a UID-only card cannot answer a challenge; "
                                                       "open its session with card_uid (and the PIN)")])
        row = CardChallengeRow(public_id="ch_" + secrets.token_urlsafe(16), terminal_id=terminal.id,
                               card_id=card.id, challenge=new_challenge(), issued_at=now,
                               expires_at=now + CHALLENGE_TTL)
        session.add(row)
        return CardChallenge(row.public_id, row.challenge, row.expires_at)


def open_card_session(db: Database, *, terminal_code: str, challenge_id: str, answer: bytes,
                      keys: MasterKeys, now: datetime, pin: str | None = None,
                      passwords: Passwords | None = None) -> CardSession:
    """A card session when ``answer`` is the card's answer to the challenge; the challenge is
    used up either way. It may pay with points unless the programme asks chip cards for the
    member's PIN too (``chip_cards_redeem_with_pin``: a stolen card then only earns); a PIN
    given is checked whatever the setting, and a wrong one refuses the session."""
    refusal: LoyaltyError | None = None
    with db.transaction() as session:
        terminal = _terminal(session, terminal_code)
        challenge = session.scalar(sa.select(CardChallengeRow).where(CardChallengeRow.public_id == challenge_id,
                                                                     CardChallengeRow.terminal_id == terminal.id)
                                   .with_for_update())
        if challenge is None:
            raise NotFound(f"unknown challenge {challenge_id!r} for this terminal", code="unknown_challenge")
        if challenge.used_at is not None:
            raise InvalidState("this challenge was already answered; ask for a new one", code="challenge_used")
        challenge.used_at = now
        card = session.get(CardRow, challenge.card_id)
        if now >= challenge.expires_at:
            refusal = InvalidState("the challenge expired before the card answered; tap again",
                                   code="challenge_expired")
        elif not _answer_ok(keys, card, challenge.challenge, answer):
            refusal = NotAllowed("the card's answer is wrong: this is not a genuine card", code="card_not_authenticated")
        else:
            card = _usable_card(session, card.number)
            can_redeem, refusal = _pin_step_up(session, card, pin, passwords,
                                               asked=read_settings(session).chip_cards_redeem_with_pin, now=now)
            if refusal is None:
                return _open(session, terminal, card, can_redeem=can_redeem, now=now)
    raise refusal


def open_uid_card_session(db: Database, *, terminal_code: str, card_uid: str, pin: str | None,
                          passwords: Passwords, now: datetime) -> CardSession:
    """A session for a UID-only card: it may earn; it may pay with points once the member's
    PIN is right (or when the programme does not ask for one)."""
    refusal: LoyaltyError | None = None
    with db.transaction() as session:
        terminal = _terminal(session, terminal_code)
        card = _usable_card(session, card_uid)
        if card.kind != "uid":
            raise InvalidInput([Problem("card_uid", "this is one of our cards: authenticate it with a challenge")])
        can_redeem, refusal = _pin_step_up(session, card, pin, passwords,
                                           asked=read_settings(session).uid_cards_redeem_with_pin, now=now)
        if refusal is None:
            return _open(session, terminal, card, can_redeem=can_redeem, now=now)
    raise refusal


def _pin_step_up(session: Session, card: CardRow, pin: str | None, passwords: Passwords | None, *, asked: bool,
                 now: datetime) -> tuple[bool, LoyaltyError | None]:
    """(whether the session may pay with points, the refusal of a wrong PIN): without a PIN, it
    may unless the programme ``asked`` for one; with one, only when it is right (the failure
    is counted in the caller's transaction, which commits before the refusal is raised)."""
    if pin is None:
        return not asked, None
    refusal = check_member_pin(session, card.member_id, pin, passwords=passwords, now=now)
    return refusal is None, refusal


def card_session_card(session: Session, token: str, *, terminal_code: str, now: datetime,
                      to_redeem: bool, opened_by: datetime | None = None) -> CardRow:
    """The card of a card session live at ``now``, opened at this terminal (by ``opened_by``,
    if given); with ``to_redeem`` the session must allow paying with points. The session, its
    card and the member's account (locked) are read in one statement, unless the transaction
    read them already."""
    _read_card_with_session(session, token)
    try:
        row = live_token(session, token, kind="card", now=now)
    except NotAuthenticated:
        raise NotAllowed("the card session is unknown or expired; tap the card again",
                         code="card_session_invalid") from None
    if opened_by is not None and row.issued_at > opened_by:
        raise NotAllowed("the card session was opened after the sale's time: the card was not at the till for "
                         "this sale", code="card_session_invalid")
    terminal = _terminal(session, terminal_code)
    if row.terminal_id != terminal.id:
        raise NotAllowed("the card session was opened at another terminal", code="card_session_invalid")
    if to_redeem and not row.can_redeem:
        raise NotAllowed("this card cannot pay with points without the member's PIN", code="pin_required")
    card = session.get(CardRow, row.card_id)
    remember_card(session, card)  # read by id: let the checks by number find it
    return _usable_card(session, card.number)


@dataclass(frozen=True)
class OfflineProof:
    """The card's answer to the challenge the till built for one sale."""
    card_number: str
    key_version: int
    counter: int
    answer: bytes


def check_accrual_proof(session: Session, *, terminal_code: str, card_number: str, receipt_number: str,
                        sold_at: datetime, card_session: str | None, offline_proof: OfflineProof | None,
                        keys: MasterKeys, now: datetime, clock_skew: timedelta) -> None:
    """Refuse an accrual for our card without proof that the card was at this till: a card
    session opened here for the same card, live at the sale's time (not necessarily at its
    arrival), or offline evidence. UID-only cards earn on the identifier alone.

    A card session vouches for no sale dated more than ``SALE_BEFORE_TAP`` before it was
    opened (a POS may date a sale when its first item is rung up, the card tapped at the
    end); the sale's time is the till's clock and the session's the server's, so they may
    differ by ``clock_skew`` more (the difference the terminals' signed timestamps are allowed).

    Whatever the proof, a till's sale older than the programme's offline age is refused: the
    till states the sale time, and the pending points' release and the rules that apply
    follow it, so an unbounded past would let a till skip the return window."""
    _refuse_old_sale(session, sold_at, now)
    if card_session is not None:
        _read_card_with_session(session, card_session)
    else:  # the accrual locks the member's account next: read with the card
        read_card_with_locked_account(session, card_number)
    card = card_row(session, card_number)
    if card_session is not None:
        # live when the sale was made, which may be long before it arrives: a sale the till
        # kept in its outbox through an outage comes after its card session ended
        sale = instants.in_utc(sold_at)
        at = sale if sale is not None and sale < now else now
        opened_by = at + clock_skew + SALE_BEFORE_TAP
        if card_session_card(session, card_session, terminal_code=terminal_code, now=at, opened_by=opened_by,
                             to_redeem=False).id != card.id:
            raise NotAllowed("the card session belongs to another card", code="card_session_invalid")
    elif offline_proof is not None:
        if offline_proof.card_number != card_number:
            raise NotAllowed("the offline evidence is for another card", code="card_not_authenticated")
        accept_offline_proof(session, terminal_code=terminal_code, card_number=card_number,
                             key_version=offline_proof.key_version, counter=offline_proof.counter,
                             answer=offline_proof.answer, receipt_number=receipt_number, sold_at=sold_at,
                             keys=keys, now=now)
    elif card.kind == "applet":
        raise NotAllowed("our cards earn only when authenticated at the till (tap again) or with the "
                         "card's offline evidence", code="card_proof_required")


def check_online_order(session: Session, *, terminal_code: str, sold_at: datetime, now: datetime) -> None:
    """Refuse a sale that names its member instead of a card unless it comes from a terminal
    of an online store (a web shop's backend): at a till, the member's card is read. Its age
    is bounded as a till's sale is."""
    _refuse_old_sale(session, sold_at, now)
    if online_store_terminal(session, terminal_code) is None:
        raise NotAllowed("a sale at a till earns for the member's card, read at the till; only an online store's "
                         "terminals name the member instead", code="card_required")


def online_store_terminal(session: Session, terminal_code: str) -> TerminalInfo | None:
    """The terminal if it belongs to an online store (a web shop's backend), else None: only
    those may name a member instead of reading a card."""
    known = programme(session)
    terminal = known.terminals.get(terminal_code)
    store = None if terminal is None else known.stores.get(terminal.store_code)
    return terminal if store is not None and store.channel == "online" else None


def _refuse_old_sale(session: Session, sold_at: datetime, now: datetime) -> None:
    settings, instant = read_settings(session), instants.in_utc(sold_at)  # None: the basket's check refuses it
    if instant is not None and now - instant > timedelta(hours=settings.offline_max_age_hours):
        raise InvalidState(f"a sale is accepted up to {settings.offline_max_age_hours} hours after it "
                           "(the programme's offline age); this one is older", code="sale_too_old")


# The accrual that checks a card session locks the member's account next: reading it here,
# locked, saves that round trip. A card without a member (or account) is not found here and
# is read by the checks that follow, which refuse it properly.
_CARD_WITH_SESSION = (sa.select(AccessTokenRow, CardRow, AccountRow)
                      .join(CardRow, CardRow.id == AccessTokenRow.card_id)
                      .join(AccountRow, AccountRow.member_id == CardRow.member_id)
                      .where(AccessTokenRow.token_hash == sa.bindparam("token_hash"))
                      .with_for_update(of=AccountRow).execution_options(populate_existing=True))


def _read_card_with_session(session: Session, token: str) -> None:
    """Read a card session, its card and the member's account (locked) in one statement: the
    checks and the accrual that follow find them in the session instead of asking again
    (nothing is read when the session's first read had them: :func:`card_session_first_read`)."""
    hashed = token_hash(token)
    if any(row.token_hash == hashed for row in session.info.get(_SESSIONS_READ, ())):
        return
    found = session.execute(_CARD_WITH_SESSION, {"token_hash": hashed}).first()
    if found is not None:
        remember_card_and_account(session, found.CardRow, found.AccountRow)
        _keep_card_session(session, found.AccessTokenRow)


def card_session_first_read(token: str) -> FirstRead:
    """The first read of a command at a till that names a card session (an accrual, a hold;
    ``engine.ledger.idempotency.FirstRead``): the session, its card, the member and the
    member's account (locked), with the idempotency key's claim in the same statement, sent
    through the driver (``engine.orm.hand_loaded``). A replayed answer leaves them unused; an
    unknown session reads nothing, and the key is claimed on its own."""
    return FirstRead(_CARD_WITH_SESSION_AND_CLAIM, {"token_hash": token_hash(token)}, _take_card_session)


def _take_card_session(session: Session, found) -> None:
    (card_session,) = _CARD_SESSION.attach(session, found)
    remember_attached_card(session, *CARD_MEMBER_ACCOUNT.attach(session, found[len(_CARD_SESSION.columns):]))
    _keep_card_session(session, card_session)


def _keep_card_session(session: Session, card_session: AccessTokenRow) -> None:
    # The identity map keeps a row only while something refers to it: hold the token row for
    # the transaction, so that live_token finds it there (and the session is not read again).
    session.info.setdefault(_SESSIONS_READ, []).append(card_session)


_SESSIONS_READ = "card_sessions_read"
_CARD_SESSION = LoadedTogether(AccessTokenRow)
_CARD_WITH_SESSION_AND_CLAIM = carrying_claim(with_member_and_account(
    sa.select(*_CARD_SESSION.columns, *CARD_MEMBER_ACCOUNT.columns).select_from(AccessTokenRow)
    .join(CardRow, CardRow.id == AccessTokenRow.card_id)
    .where(AccessTokenRow.token_hash == sa.bindparam("token_hash"))))


def accept_offline_proof(session: Session, *, terminal_code: str, card_number: str, key_version: int,
                         counter: int, answer: bytes, receipt_number: str, sold_at: datetime,
                         keys: MasterKeys, now: datetime) -> None:
    """Check and record offline evidence for one accrual, inside the accrual's transaction
    (the sale's age was checked by :func:`check_accrual_proof`)."""
    terminal = _terminal(session, terminal_code)
    card = card_row(session, card_number)
    if card.kind != "applet" or card.key_version != key_version:
        raise NotAllowed("the offline evidence names another key version than the card's",
                         code="card_not_authenticated")
    challenge = offline_challenge(terminal=terminal_code, receipt=receipt_number, sold_at=sold_at, counter=counter)
    if not _answer_ok(keys, card, challenge, answer):
        raise NotAllowed("the card's offline answer is wrong: this is not a genuine card",
                         code="card_not_authenticated")
    used = session.scalar(sa.select(OfflineCardProofRow.id).where(
        OfflineCardProofRow.card_id == card.id, OfflineCardProofRow.terminal_id == terminal.id,
        OfflineCardProofRow.counter == counter))
    if used is not None:
        raise InvalidState("this offline evidence was already used", code="offline_proof_used")
    session.add(OfflineCardProofRow(card_id=card.id, terminal_id=terminal.id, counter=counter,
                                    receipt_number=receipt_number, accepted_at=now))
    session.flush()


def purge_card_challenges(db: Database, *, as_of: datetime) -> int:
    """Delete challenges that expired more than a day before ``as_of``; returns how many.
    (An expired challenge can never be answered; the day keeps recent ones for support.)"""
    with db.transaction() as session:
        return session.execute(sa.delete(CardChallengeRow)
                               .where(CardChallengeRow.expires_at < as_of - timedelta(days=1))).rowcount


def member_summary(session: Session, member: MemberRow, *, now: datetime) -> MemberSummary:
    """The cashier's view of ``member`` at ``now``."""
    account = session.scalar(sa.select(AccountRow).where(AccountRow.member_id == member.id))
    held = holdings(session, account, now)
    return MemberSummary(member_id=member.public_id, display_name=display_name(member.profile.full_name),
                         tier=member.tier_code, available=held.available, pending=held.pending)


def display_name(full_name: str) -> str:
    """"Anna Kowalska" -> "Anna K.": enough for a greeting on a screen others may see."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0]} {parts[-1][0]}."


def _open(session: Session, terminal: TerminalRow, card: CardRow, *, can_redeem: bool, now: datetime) -> CardSession:
    token, expires_at = issue_token(session, kind="card", ttl=CARD_SESSION_TTL, now=now, card_id=card.id,
                                    member_id=card.member_id, terminal_id=terminal.id, can_redeem=can_redeem)
    return CardSession(token=token, expires_at=expires_at, can_redeem=can_redeem, card_number=card.number,
                       member=member_summary(session, card.member, now=now))


def _answer_ok(keys: MasterKeys, card: CardRow, challenge: bytes, answer: bytes) -> bool:
    try:
        card_key = keys.card_key(card.key_version, card.number)
    except LookupError:
        return False
    return isinstance(answer, bytes) and answer_matches(card_key, challenge, answer)


def _usable_card(session: Session, number: str) -> CardRow:
    identify_member(session, member_id=None, card_number=number)  # refuses blocked cards, closed members
    return card_row(session, number)


def _terminal(session: Session, terminal_code: str) -> TerminalInfo:
    terminal = programme(session).terminals.get(terminal_code)
    if terminal is None or terminal.status != "active":
        raise NotAllowed(f"terminal {terminal_code!r} is not active", code="terminal_not_active")
    return terminal


@dataclass(frozen=True)
class PersonalisedCard:
    """What an issuing station writes to a new card. The key leaves the server only here."""
    card_number: str
    key_version: int
    card_key: bytes
    member_id: str


def issue_personalised_card(db: Database, *, member_id: str, keys: MasterKeys, now: datetime) -> PersonalisedCard:
    """A new card of ours for the member, with its key diversified from the newest master key."""
    try:
        version = keys.current_version
    except LookupError:
        raise InvalidState("no card master keys are configured on the server", code="card_keys_missing") from None
    card = issue_card(db, member_id=member_id, kind="applet", key_version=version, now=now)
    return PersonalisedCard(card_number=card.number, key_version=version,
                            card_key=keys.card_key(version, card.number), member_id=member_id)
