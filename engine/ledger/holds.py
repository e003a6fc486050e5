"""Paying with points at the till: two-phase holds.

Guarantees:
- placing a hold reserves specific lots (earliest-expiring first) under the member's
  account lock, and only points that are available at that instant: two tills can never
  reserve the same points;
- a hold resolves once: captured (all or part; the rest released), voided, or expired
  after its deadline; a second resolution is refused with ``HoldAlreadyResolved``, a
  capture after the deadline with ``HoldExpired``;
- reserved points are never expired or taken by anything but their hold's capture;
- only an active member's hold is placed or captured (``member_not_active``): a member
  suspended after a hold was placed gets it voided (or lapsing), never spent;
- a till's captured payment whose sale was called off before it earned is given back once,
  each part with the earning date and expiry it had; once the sale has earned, its points
  come back only with its goods (a refund).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.card_auth import card_session_card, card_session_first_read
from engine.database import Database
from engine.errors import (HoldAlreadyResolved, HoldExpired, InsufficientPoints, InvalidState, Problem,
                           ReceiptAlreadyEarned, not_found, refuse_if)
from engine.ledger import bulk
from engine.ledger.accounts import lock_member_account, post_transaction, remember_locked_account
from engine.ledger.basket import MAX_CASHIER, is_text
from engine.ledger.expiry import expire_now
from engine.ledger.commands import (CaptureHold, HoldCaptured, HoldPlaced, HoldVoided, PaymentReturned, PlaceHold,
                                   ReturnPayment, VoidHold)
from engine.ledger.idempotency import FirstRead, carrying_claim, run_idempotent
from engine.ledger.lots import SPENDING_ORDER, consume, give_back, holdings, member_lots, spent_by_holds, take_unreserved
from engine.ledger.parties import member_with_locked_account, till, till_receipt
from engine.members import refuse_unless_active
from engine.orm.hand_loaded import LoadedTogether
from engine.orm.ledger import AccountRow, HoldLotRow, HoldRow, LotRow
from engine.orm.members import MemberRow
from engine.orm.types import UTCDateTime
from engine.programme import ProgrammeSettings
from engine.settings import read_settings
from engine.snapshot import programme
from engine.webhooks import record_credit, record_event

MAX_HOLD_POINTS = 10**9


def place_hold(db: Database, command: PlaceHold, *, caller: str, idempotency_key: str, now: datetime,
               verify: Callable[[Session], None] | None = None) -> HoldPlaced:
    """Reserve ``command.points`` of the member's available points for a payment. ``verify``
    (e.g. taking a web shop's payment code) runs once the request is found well-formed, inside
    the same transaction: what it takes is given back if the hold is refused after it.

    A till names the member by its ``card_session``, which must have been opened at this
    terminal and allow paying with points: checked inside the command, so a retry gets the
    first answer even once the session has ended (on PostgreSQL the session, the card and
    the member's account are read with the idempotency key's claim)."""
    def work(session: Session) -> HoldPlaced:
        settings = read_settings(session)
        problems = []
        if not (isinstance(command.points, int) and 0 < command.points <= MAX_HOLD_POINTS):
            problems.append(Problem("points", f"must be a whole number from 1 to {MAX_HOLD_POINTS}"))
        if sum(who is not None for who in (command.member_id, command.card_number, command.card_session)) != 1:
            problems.append(Problem("member", "name the member by exactly one of member_id, card_number and "
                                              "card_session"))
        problems += payment_size_problems(command.points, settings) + _receipt_problems(command.receipt_number)
        if not (command.cashier is None or is_text(command.cashier, MAX_CASHIER)):
            problems.append(Problem("cashier", f"must be a text of 1 to {MAX_CASHIER} characters"))
        refuse_if(problems)
        if verify is not None:
            verify(session)
        store, terminal = till(session, command.store_code, command.terminal_code)
        if command.receipt_number is not None and till_receipt(session, store, terminal,
                                                               command.receipt_number) is not None:
            # paid for with points after it earned, nothing would tie the points to the sale
            raise ReceiptAlreadyEarned(f"receipt {command.store_code}/{command.terminal_code}/"
                                       f"{command.receipt_number} has already earned points; a payment with "
                                       "points belongs to a sale still open")
        card_number = command.card_number if command.card_session is None else card_session_card(
            session, command.card_session, terminal_code=command.terminal_code, now=now, to_redeem=True).number
        member, account = member_with_locked_account(session, member_id=command.member_id, card_number=card_number)
        available = holdings(session, account, now).available
        if command.points > available:
            raise InsufficientPoints(f"member {member.public_id} has {available} points available; "
                                     f"{command.points} were asked for")
        hold = reserve_points(session, member.id, command.points, now=now,
                              deadline=now + timedelta(minutes=settings.hold_timeout_minutes),
                              store_id=store.id, terminal_id=terminal.id,
                              receipt_number=command.receipt_number, cashier=command.cashier)
        return HoldPlaced(hold_id=hold.public_id, member_id=member.public_id, points=hold.points,
                          value_minor=points_value(hold.points, settings), deadline=hold.deadline,
                          available=available - command.points)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="place_hold", request=command,
                          now=now, work=work, result_type=HoldPlaced,
                          first_read=None if command.card_session is None else card_session_first_read(
                              command.card_session))


def capture_hold(db: Database, command: CaptureHold, *, caller: str, idempotency_key: str,
                 now: datetime) -> HoldCaptured:
    """Spend all or part of a hold's points; the rest is released."""
    def work(session: Session) -> HoldCaptured:
        hold, account, member = _pending_hold(session, command.hold_id, action="captured",
                                              store_code=command.store_code)
        refuse_unless_active(member)
        if hold.deadline < now:
            raise HoldExpired(f"hold {hold.public_id} lapsed at {hold.deadline.isoformat()}; "
                              "place a new hold")
        points = hold.points if command.points is None else command.points
        problems = _receipt_problems(command.receipt_number)
        if not (isinstance(points, int) and 0 < points <= hold.points):
            problems.append(Problem("points", f"must be from 1 to the {hold.points} points held "
                                              "(void the hold to release all of it)"))
        refuse_if(problems)
        store, till = _hold_till(session, hold)
        receipt = command.receipt_number or hold.receipt_number
        if till is not None and receipt is not None and till_receipt(session, store, till, receipt) is not None:
            # a refund of that sale would give back points that paid for nothing of it
            raise ReceiptAlreadyEarned(f"receipt {store.code}/{till.code}/{receipt} has already earned points; a "
                                       "payment with points belongs to a sale still open: void the hold")
        transaction = capture_reserved(session, hold, account, points, now=now,
                                       description=f"paid with points (hold {hold.public_id})",
                                       receipt_number=command.receipt_number)
        settings = read_settings(session)
        value = points_value(points, settings)
        record_event(session, "points.spent", dict(
            member_id=member.public_id, store=till and till.store_code, terminal=till and till.code,
            receipt=command.receipt_number, points=points, value_minor=value, transaction_id=transaction.id),
            now=now)
        return HoldCaptured(hold_id=hold.public_id, member_id=member.public_id, points=points,
                            released=hold.points - points, value_minor=value,
                            transaction_id=transaction.id, balance=account.balance)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="capture_hold", request=command,
                          now=now, work=work, result_type=HoldCaptured, first_read=_hold_first_read(command.hold_id))


def void_hold(db: Database, command: VoidHold, *, caller: str, idempotency_key: str,
              now: datetime) -> HoldVoided:
    """Cancel a hold: all its points become available again."""
    def work(session: Session) -> HoldVoided:
        hold, _, member = _pending_hold(session, command.hold_id, action="voided",
                                        store_code=command.store_code)
        _release(session, hold, now=now)
        _resolve(hold, "voided", now)
        session.flush()
        return HoldVoided(hold_id=hold.public_id, member_id=member.public_id, released=hold.points)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="void_hold", request=command,
                          now=now, work=work, result_type=HoldVoided, first_read=_hold_first_read(command.hold_id))


def return_payment(db: Database, command: ReturnPayment, *, caller: str, idempotency_key: str,
                   now: datetime) -> PaymentReturned:
    """Give back what a captured hold of a till in ``command.store_code`` paid, its sale called off
    before it earned: every point the capture took, each part with the earning date and expiry of
    the lot it came from, once. Refused for a hold still pending (void it) or never captured, a
    payment given back before, a hold naming no receipt, a sale that has earned (its goods come back with a refund, and
    the points that paid with them), a closed account, and once the programme's offline age has
    passed since the capture (a till's outbox sends the return within it)."""
    def work(session: Session) -> PaymentReturned:
        hold, account, member = _hold_in_store(session, command.hold_id, command.store_code)
        if hold.status != "captured":
            if hold.status == "pending":
                raise InvalidState(f"hold {hold.public_id} is pending: nothing was paid yet; void it instead",
                                   code="hold_not_captured")
            raise HoldAlreadyResolved(f"hold {hold.public_id} was {hold.status}: nothing was paid with it")
        if hold.return_transaction_id is not None:
            raise HoldAlreadyResolved(f"the payment of hold {hold.public_id} was already given back")
        store, terminal = _hold_till(session, hold)
        if hold.receipt_number is None:  # nothing tells whether its sale has earned
            raise InvalidState(f"hold {hold.public_id} names no receipt, so whether its sale earned cannot be told; "
                               "the points can only be given back by the service team",
                               code="payment_without_receipt")
        if terminal is not None and till_receipt(session, store, terminal, hold.receipt_number) is not None:
            raise ReceiptAlreadyEarned(f"receipt {store.code}/{terminal.code}/{hold.receipt_number} has earned "
                                       "points: return its goods with a refund, which gives back the points "
                                       "that paid for them")
        settings = read_settings(session)
        if now - hold.resolved_at > timedelta(hours=settings.offline_max_age_hours):
            raise InvalidState(f"hold {hold.public_id} was paid more than {settings.offline_max_age_hours} hours "
                               "ago; the points can only be given back by the service team",
                               code="payment_return_too_late")
        if member.status == "closed":
            raise InvalidState(f"member {member.public_id}'s account is closed: there is no account to give "
                               "the points back to", code="member_closed")
        points = hold.captured_points
        transaction = post_transaction(
            session, kind="adjust", account=account, member_points=points, system={"redemption": -points},
            occurred_at=now, now=now, description=f"{PAYMENT_RETURNED} (hold {hold.public_id})", actor=caller)
        give_back(session, account, transaction, spent_by_holds(session, HoldRow.id == hold.id), points, now=now)
        hold.return_transaction_id = transaction.id
        record_credit(session, member_id=member.public_id, points=points, reason="payment_returned",
                      transaction_id=transaction.id, at=now, now=now)
        session.flush()
        return PaymentReturned(hold_id=hold.public_id, member_id=member.public_id, points=points,
                               transaction_id=transaction.id, balance=account.balance)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="return_payment", request=command,
                          now=now, work=work, result_type=PaymentReturned,
                          first_read=_hold_first_read(command.hold_id))


# how a given-back payment's posting begins (the member's history words read it)
PAYMENT_RETURNED = "payment with points given back, its sale called off"


def release_lapsed_holds(db: Database, *, as_of: datetime) -> int:
    """Expire every pending hold whose deadline is before ``as_of`` and free its points.

    Idempotent: a second run for the same ``as_of`` finds nothing left to do. Set-based:
    one transaction locks the accounts of the members concerned (in account id order,
    so a capture racing with it either resolves the hold first or finds it expired),
    then frees the reserved points and resolves the holds in two statements."""
    when = sa.bindparam("as_of", as_of, type_=UTCDateTime())
    with db.transaction() as session:
        bulk.lock_accounts(session, "SELECT h.member_id FROM holds h WHERE h.status = 'pending' "
                                    "AND h.deadline < :as_of", {"as_of": as_of})
        # whose points go back to a lot past its expiry: expired as they come back (below)
        due = session.scalars(sa.text(
            "SELECT DISTINCT h.member_id FROM holds h JOIN hold_lots hl ON hl.hold_id = h.id "
            "JOIN lots l ON l.id = hl.lot_id WHERE h.status = 'pending' AND h.deadline < :as_of "
            "AND l.expires_at <= :as_of").bindparams(when)).all()
        session.execute(sa.text(
            "UPDATE lots SET reserved = lots.reserved - r.points FROM ("
            "SELECT hl.lot_id, SUM(hl.points) AS points FROM hold_lots hl JOIN holds h ON h.id = hl.hold_id "
            "WHERE h.status = 'pending' AND h.deadline < :as_of GROUP BY hl.lot_id) r "
            "WHERE lots.id = r.lot_id").bindparams(when))
        released = session.execute(sa.text(
            "UPDATE holds SET status = 'expired', resolved_at = :as_of "
            "WHERE status = 'pending' AND deadline < :as_of").bindparams(when))
        expire_now(session, due, as_of)
        return released.rowcount


def reserve_points(session: Session, member_pk: int, points: int, *, now: datetime, deadline: datetime,
                   store_id: int | None = None, terminal_id: int | None = None,
                   receipt_number: str | None = None, cashier: str | None = None) -> HoldRow:
    """Phase one: a pending hold reserving ``points`` of the member's lots spendable at
    ``now``, earliest-expiring first. The caller holds the member's account lock and has
    checked that the points are available."""
    hold = HoldRow(public_id=_new_hold_id(), member_id=member_pk, store_id=store_id, terminal_id=terminal_id,
                   points=points, status="pending", placed_at=now, deadline=deadline,
                   receipt_number=receipt_number, cashier=cashier)
    session.add(hold)
    session.flush()
    for lot, taken in take_unreserved(member_lots(session, member_pk, spendable_at=now), points):
        lot.reserved += taken
        session.add(HoldLotRow(hold_id=hold.id, lot_id=lot.id, points=taken))
    session.flush()
    return hold


def capture_reserved(session: Session, hold: HoldRow, account, points: int, *, now: datetime,
                     description: str, receipt_number: str | None = None):
    """Phase two: spend ``points`` (1 to all) of a pending hold into the redemption account
    and release the rest; returns the capture transaction. The caller holds the lock. A
    ``receipt_number`` (the sale paid) replaces the one the hold was placed with."""
    reserved = _reserved_lots(session, hold)
    transaction = post_transaction(
        session, kind="capture", account=account, member_points=-points, system={"redemption": points},
        occurred_at=now, now=now, description=description)
    taken, released, left = [], [], points
    for lot, held in reserved:
        take = min(held, left)
        left -= take
        if take:
            taken.append((lot, take))
        if held > take:
            lot.reserved -= held - take  # the part not captured is released
            released.append(lot)
    consume(session, transaction, taken, from_reserved=True)
    _resolve(hold, "captured", now)
    hold.captured_points = points
    hold.receipt_number = receipt_number or hold.receipt_number
    hold.capture_transaction_id = transaction.id
    session.flush()
    _expire_given_back(session, hold.member_id, released, now)
    return transaction


def _receipt_problems(receipt_number: str | None) -> list[Problem]:
    """The sale a hold pays for is optional, but a receipt number it names is one a receipt can have."""
    if receipt_number is None or is_text(receipt_number, 64):
        return []
    return [Problem("receipt_number", "must be a text of 1 to 64 characters")]


def payment_size_problems(points: int, settings: ProgrammeSettings) -> list[Problem]:
    """Whether one payment with ``points`` keeps to the programme's minimum and maximum."""
    if not isinstance(points, int):
        return []
    if points < settings.pay_min_points:
        return [Problem("points", f"one payment uses at least {settings.pay_min_points} points")]
    if settings.pay_max_points is not None and points > settings.pay_max_points:
        return [Problem("points", f"one payment uses at most {settings.pay_max_points} points")]
    return []


def points_value(points: int, settings: ProgrammeSettings) -> int:
    """What ``points`` pay at the till, in minor units (rounded down)."""
    return points * settings.redeem_value_minor // settings.redeem_points


def _hold_first_read(hold_id: str) -> FirstRead:
    """The first read of a capture or a void (``engine.ledger.idempotency.FirstRead``): the hold,
    the member's account (locked) and the member, with the idempotency key's claim, sent
    through the driver (``engine.orm.hand_loaded``)."""
    return FirstRead(_HOLD_WITH_ACCOUNT_AND_CLAIM, {"hold_id": hold_id}, _take_hold)


def _take_hold(session: Session, found) -> None:
    # (the member is attached for _pending_hold's session.get, which finds it without asking)
    hold, account, _member = _HOLD_ACCOUNT_MEMBER.attach(session, found)
    remember_locked_account(session, account)
    session.info[_HOLD_READ] = hold


# Only the account is locked, as when it is locked on its own: the hold is read again under
# the lock (_pending_hold).
_HOLD_ACCOUNT_MEMBER = LoadedTogether(HoldRow, AccountRow, MemberRow)
_HOLD_WITH_ACCOUNT_AND_CLAIM = carrying_claim(
    sa.select(*_HOLD_ACCOUNT_MEMBER.columns).select_from(HoldRow)
    .join(AccountRow, AccountRow.member_id == HoldRow.member_id).join(MemberRow, MemberRow.id == HoldRow.member_id)
    .where(HoldRow.public_id == sa.bindparam("hold_id")).with_for_update(of=AccountRow))
_HOLD_READ = "hold_read"


def _hold_in_store(session: Session, hold_id: str, store_code: str | None):
    """The hold (read again under its member's account lock), the account and the member; a hold
    of another store than ``store_code`` (when given) is not found."""
    read = session.info.get(_HOLD_READ)
    hold = read if read is not None and read.public_id == hold_id else session.scalar(
        sa.select(HoldRow).where(HoldRow.public_id == hold_id))
    if hold is not None and store_code is not None:
        store = programme(session).stores.get(store_code)
        if store is None or store.id != hold.store_id:
            hold = None  # another store's hold: as if it did not exist
    if hold is None:
        raise not_found("hold", hold_id)
    account = lock_member_account(session, hold.member_id)
    session.refresh(hold)  # read again under the lock: another request may have resolved it
    return hold, account, session.get(MemberRow, hold.member_id)


def _pending_hold(session: Session, hold_id: str, *, action: str, store_code: str | None):
    hold, account, member = _hold_in_store(session, hold_id, store_code)
    if hold.status != "pending":
        raise HoldAlreadyResolved(f"hold {hold.public_id} was already {hold.status}; it cannot be {action}")
    return hold, account, member


def _hold_till(session: Session, hold: HoldRow):
    """The store and the till (``engine.snapshot`` entries) where the hold was placed."""
    known = programme(session)
    return (next((s for s in known.stores.values() if s.id == hold.store_id), None),
            next((t for t in known.terminals.values() if t.id == hold.terminal_id), None))


def _reserved_lots(session: Session, hold: HoldRow) -> list[tuple[LotRow, int]]:
    rows = session.execute(sa.select(LotRow, HoldLotRow.points).join(HoldLotRow, HoldLotRow.lot_id == LotRow.id)
                           .where(HoldLotRow.hold_id == hold.id).order_by(*SPENDING_ORDER))
    return [(lot, points) for lot, points in rows]


def _release(session: Session, hold: HoldRow, *, now: datetime) -> None:
    released = []
    for lot, points in _reserved_lots(session, hold):
        lot.reserved -= points
        released.append(lot)
    _expire_given_back(session, hold.member_id, released, now)


def _expire_given_back(session: Session, member_pk: int, lots: list[LotRow], now: datetime) -> None:
    """Points a hold gave back (voided, captured in part) to a lot past its expiry: the
    nightly run had to leave them reserved, so they expire now, dated now."""
    if any(lot.expires_at is not None and lot.expires_at <= now for lot in lots):
        session.flush()
        expire_now(session, [member_pk], now)
        session.expire_all()  # the expiry moved lots and the balance in SQL: nothing stale is written back


def _resolve(hold: HoldRow, status: str, when: datetime) -> None:
    hold.status = status
    hold.resolved_at = when


def _new_hold_id() -> str:
    return "H" + secrets.token_hex(8).upper()
