"""Refunds by receipt.

Guarantees:
- a refund takes back exactly what the returned lines earned: each line's points and
  amount are shared out by the quantity returned, cumulatively, so returning a line in
  several parts ends at exactly what it earned, never more;
- returning more than was bought (or than is left to return) is refused;
- points of the sale that expired meanwhile are not taken from the member a second time:
  that part of the reversal comes back from the expiry account;
- points spent on the sale (captured holds linked to the receipt) are given back in
  proportion to the amount refunded, into lots that keep the expiry of the lots they
  were spent from;
- when the points to take back were already spent, the programme's negative-balance
  policy decides: ``allow_negative`` records a debt that later earnings pay off first,
  ``write_off`` takes what is there and posts the rest to the adjustment account,
  ``refuse`` refuses the refund.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import instants
from engine.database import Database
from engine.errors import InvalidState, NotFound, Problem, RefundExceedsPurchase, RefundWouldOverdraw, refuse_if
from engine.ledger.accounts import lock_member_account, mark_account_written, post_transaction, system_account_ids
from engine.ledger.allocation import share_so_far
from engine.ledger.basket import MAX_CASHIER, MAX_CLOCK_SKEW, is_quantity, is_text
from engine.ledger.commands import ReceiptRefunded, RefundReceipt
from engine.ledger.idempotency import run_idempotent
from engine.ledger.lots import consume, give_back, member_lots, spent_by_holds, take_unreserved
from engine.ledger.parties import receipt_till, till_receipt
from engine.orm.ledger import (EntryRow, HoldRow, LedgerTransactionRow, LotAllocationRow, LotRow, ReceiptLineRow,
                               ReceiptRow, RefundLineRow, RefundRow)
from engine.orm.members import MemberRow
from engine.settings import read_settings
from engine.webhooks import record_event


def refund_receipt(db: Database, command: RefundReceipt, *, caller: str, idempotency_key: str,
                   now: datetime) -> ReceiptRefunded:
    """Reverse what the returned lines of a receipt earned and give back points spent on them.
    Refused for a refund dated before the sale, and for a closed member's receipt (what it
    earned went with the account)."""
    def work(session: Session) -> ReceiptRefunded:
        refuse_if(_command_problems(command, now))
        # (the till that made the sale, perhaps retired since; the one taking the return, if a
        # till, was checked active when its signature was)
        store, terminal = receipt_till(session, command.store_code, command.terminal_code)
        receipt = till_receipt(session, store, terminal, command.receipt_number)
        if receipt is None:
            raise NotFound(f"no receipt {command.receipt_number} of terminal {command.terminal_code} "
                           f"in store {command.store_code} earned points", code="unknown_receipt")
        if instants.in_utc(command.occurred_at) < receipt.occurred_at:
            # (the sale's tier window and the reports date a refund by it)
            refuse_if([Problem("occurred_at", f"must not be before the sale it returns "
                                              f"({receipt.occurred_at.isoformat(timespec='seconds')})")])
        account = lock_member_account(session, receipt.member_id)
        member = session.get(MemberRow, receipt.member_id)
        if member.status == "closed":
            raise InvalidState(f"member {member.public_id}'s account is closed: the points of receipt "
                               f"{receipt.receipt_number} went with it, so there is nothing to take back or give "
                               "back", code="member_closed")
        settings = read_settings(session)

        lines = {line.line_no: line for line in session.scalars(
            sa.select(ReceiptLineRow).where(ReceiptLineRow.receipt_id == receipt.id))}
        unknown = [r.line_no for r in command.lines if r.line_no not in lines]
        refuse_if([Problem("lines", f"receipt {receipt.receipt_number} has no line {n}") for n in unknown])
        returned_before = _returned_per_line(session, receipt)
        refund_lines, reversed_points, amount = [], 0, 0
        for request in command.lines:
            line = lines[request.line_no]
            before = returned_before.get(line.id, Decimal(0))
            if before + request.quantity > line.quantity:
                raise RefundExceedsPurchase(
                    f"line {line.line_no} ({line.sku}): {line.quantity} bought, {before} already returned, "
                    f"{request.quantity} cannot be returned")
            after = before + request.quantity
            points = share_so_far(line.points, after, line.quantity) - share_so_far(line.points, before, line.quantity)
            money = (share_so_far(line.amount_minor, after, line.quantity)
                     - share_so_far(line.amount_minor, before, line.quantity))
            refund_lines.append(RefundLineRow(receipt_line_id=line.id, quantity=request.quantity,
                                              amount_minor=money, points=points))
            reversed_points += points
            amount += money

        refunded_before = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(RefundRow.amount_minor), 0))
                                         .where(RefundRow.receipt_id == receipt.id))
        # (the lots the sale's captured holds took points from; a payment given back, its sale
        # called off, paid for nothing)
        spent = spent_by_holds(session, HoldRow.store_id == receipt.store_id, HoldRow.terminal_id == receipt.terminal_id,
                               HoldRow.receipt_number == receipt.receipt_number, HoldRow.member_id == receipt.member_id,
                               HoldRow.return_transaction_id.is_(None))
        spent_total = sum(points for _, points in spent)
        returned = (share_so_far(spent_total, refunded_before + amount, receipt.total_minor)
                    - share_so_far(spent_total, refunded_before, receipt.total_minor))

        # What of the sale's points expired meanwhile left the member already: that part comes
        # back from the expiry account (breakage undone), not a second time from the member.
        from_expired = min(reversed_points, _expired_not_yet_reversed(session, receipt))
        # Given-back points first pay off any debt; what is left of them can be taken back.
        free = (sum(lot.remaining - lot.reserved for lot in member_lots(session, receipt.member_id))
                + max(0, returned - account.debt))
        taken_back = min(reversed_points - from_expired, free)
        shortfall = reversed_points - from_expired - taken_back
        policy = settings.negative_balance_policy
        if shortfall and policy == "refuse":
            raise RefundWouldOverdraw(
                f"the refund would take back {reversed_points} points but the member has only {free} left; "
                "the programme refuses refunds that would overdraw")
        written_off = shortfall if policy == "write_off" else 0
        debt = shortfall if policy == "allow_negative" else 0

        transaction = None
        if reversed_points or returned:
            transaction = post_transaction(
                session, kind="refund", account=account, member_points=returned - taken_back - debt,
                system={"issuance": reversed_points, "expiry": -from_expired, "redemption": -returned,
                        "adjustment": -written_off},
                occurred_at=command.occurred_at, now=now, actor=caller,
                description=f"refund of receipt {command.store_code}/{command.terminal_code}/{command.receipt_number}")
            give_back(session, account, transaction, spent, returned, now=now,
                      skip=share_so_far(spent_total, refunded_before, receipt.total_minor))
            session.flush()
            _take_back(session, transaction, receipt, taken_back)
            account.debt += debt
        else:  # the refund still changes what the member's next accrual reads (purchases, spend)
            mark_account_written(session, account)
        refund = RefundRow(receipt_id=receipt.id, transaction_id=transaction.id if transaction else None,
                           occurred_at=command.occurred_at, amount_minor=amount, points_reversed=reversed_points,
                           points_returned=returned, points_written_off=written_off, debt_created=debt,
                           cashier=command.cashier)
        session.add(refund)
        session.flush()
        for line in refund_lines:
            line.refund_id = refund.id
        session.add_all(refund_lines)
        session.flush()
        refunded = ReceiptRefunded(
            member_id=member.public_id, receipt_number=receipt.receipt_number, amount_minor=amount,
            points_reversed=reversed_points, points_returned=returned, points_written_off=written_off,
            debt_created=debt, transaction_id=transaction.id if transaction else None, balance=account.balance,
            points_expired=from_expired)
        record_event(session, "points.refunded", dict(
            member_id=member.public_id, store=command.store_code, terminal=command.terminal_code,
            receipt=receipt.receipt_number, occurred_at=command.occurred_at, amount_minor=amount,
            points_reversed=reversed_points, points_returned=returned, points_written_off=written_off,
            points_expired=from_expired, transaction_id=refunded.transaction_id), now=now)
        return refunded

    return run_idempotent(db, caller=caller, key=idempotency_key, command="refund", request=command,
                          now=now, work=work, result_type=ReceiptRefunded)


def _command_problems(command: RefundReceipt, now: datetime) -> list[Problem]:
    problems = []
    if not command.lines:
        problems.append(Problem("lines", "name at least one line to return"))
    seen = set()
    for index, line in enumerate(command.lines):
        if line.line_no in seen:
            problems.append(Problem(f"lines.{index}.line_no", f"line {line.line_no} is named twice"))
        seen.add(line.line_no)
        if not is_quantity(line.quantity):
            problems.append(Problem(f"lines.{index}.quantity", "must be a positive number with at most 3 decimals"))
    if not (command.cashier is None or is_text(command.cashier, MAX_CASHIER)):
        problems.append(Problem("cashier", f"must be a text of 1 to {MAX_CASHIER} characters"))
    occurred = instants.in_utc(command.occurred_at)
    if occurred is None:
        problems.append(Problem("occurred_at", f"must be an instant with a time zone, {instants.RANGE_TEXT}"))
    elif occurred > now + MAX_CLOCK_SKEW:
        problems.append(Problem("occurred_at", "lies in the future"))
    return problems


def _expired_not_yet_reversed(session: Session, receipt: ReceiptRow) -> int:
    """The points of the sale's own lot that expired, less what earlier refunds of the receipt
    already took back from the expiry account."""
    expired = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LotAllocationRow.amount), 0))
        .join(LotRow, LotRow.id == LotAllocationRow.lot_id)
        .join(LedgerTransactionRow, LedgerTransactionRow.id == LotAllocationRow.transaction_id)
        .where(LotRow.transaction_id == receipt.transaction_id, LedgerTransactionRow.kind == "expire"))
    if not expired:
        return 0
    reversed_before = session.scalar(
        sa.select(sa.func.coalesce(-sa.func.sum(EntryRow.amount), 0))
        .join(RefundRow, RefundRow.transaction_id == EntryRow.transaction_id)
        .where(RefundRow.receipt_id == receipt.id, EntryRow.account_id == system_account_ids(session)["expiry"]))
    return max(0, int(expired) - int(reversed_before))  # (PostgreSQL sums bigints as numerics)


def _returned_per_line(session: Session, receipt: ReceiptRow) -> dict[int, Decimal]:
    rows = session.execute(
        sa.select(RefundLineRow.receipt_line_id, sa.func.sum(RefundLineRow.quantity))
        .join(RefundRow, RefundRow.id == RefundLineRow.refund_id)
        .where(RefundRow.receipt_id == receipt.id).group_by(RefundLineRow.receipt_line_id))
    return {line_id: Decimal(total) for line_id, total in rows}


def _take_back(session: Session, transaction, receipt: ReceiptRow, points: int) -> None:
    lots = member_lots(session, receipt.member_id)
    own = [lot for lot in lots if lot.transaction_id == receipt.transaction_id]
    others = [lot for lot in lots if lot.transaction_id != receipt.transaction_id]
    consume(session, transaction, take_unreserved(own + others, points))
