"""The ledger's invariants as code: each check returns the problems it finds (none: sound).

Run by the tests after every step and by the operator (``loyalty check-ledger``). The
checks are set-based SQL, so they run over a whole programme in one pass each:

- every transaction's entries sum to zero, there are at least two, and its checksum
  matches its entries (an entry changed behind the engine's back shows);
- globally the entries sum to zero: issued = balances + redeemed + expired + adjusted;
- each member's cached balance equals the sum of the entries on their account;
- each member's lots agree with the balance: remaining of all lots minus debt = balance;
  0 <= reserved <= remaining <= amount;
- what lots have reserved equals what pending holds reserve; holds were resolved at most
  once (a capture has exactly its one transaction, nothing else has any);
- each receipt earned once and its lines' points add up to what it earned;
- no line was refunded beyond what was bought or earned;
- the ledger tables refuse UPDATE and DELETE (the triggers are in place);
- each closed month holds what its postings' entries sum to, and the closed months of a
  zone run unbroken from the ledger's first posting (``engine.ledger.closed_months``).
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.ledger.accounts import transaction_checksum
from engine.ledger.closed_months import closed_months_agree
from engine.orm.ledger import (AccountRow, EntryRow, HoldLotRow, HoldRow, LedgerTransactionRow, LotRow,
                               ReceiptLineRow, ReceiptRow, RefundLineRow)

IMMUTABLE_TABLES = ("ledger_transactions", "ledger_entries")


def check_ledger(db: Database) -> list[str]:
    """Every invariant problem in the ledger; an empty list means the ledger is sound."""
    problems: list[str] = []
    with db.transaction() as session:
        for check in CHECKS:
            problems.extend(check(session))
    return problems


def transactions_balance(session: Session) -> list[str]:
    """Transactions whose entries do not sum to zero, or that have fewer than two entries."""
    rows = session.execute(
        sa.select(EntryRow.transaction_id, sa.func.sum(EntryRow.amount), sa.func.count())
        .group_by(EntryRow.transaction_id)
        .having(sa.or_(sa.func.sum(EntryRow.amount) != 0, sa.func.count() < 2)))
    problems = [f"transaction {t}: entries sum to {s} over {n} entries" for t, s, n in rows]
    orphans = session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow).where(
        ~sa.exists().where(EntryRow.transaction_id == LedgerTransactionRow.id)))
    if orphans:
        problems.append(f"{orphans} transactions have no entries")
    return problems


def checksums_match(session: Session) -> list[str]:
    """Transactions whose entries no longer match the checksum taken when they were posted."""
    entries: dict[int, list[tuple[int, int]]] = {}
    for transaction_id, account_id, amount in session.execute(
            sa.select(EntryRow.transaction_id, EntryRow.account_id, EntryRow.amount)):
        entries.setdefault(transaction_id, []).append((account_id, amount))
    problems = []
    for row in session.execute(sa.select(LedgerTransactionRow.id, LedgerTransactionRow.kind,
                                         LedgerTransactionRow.member_id, LedgerTransactionRow.occurred_at,
                                         LedgerTransactionRow.checksum)):
        if transaction_checksum(row.kind, row.member_id, row.occurred_at, entries.get(row.id, [])) != row.checksum:
            problems.append(f"transaction {row.id}: checksum does not match its entries (changed after posting?)")
    return problems


def conservation(session: Session) -> list[str]:
    """All entries together must sum to zero: issued = balances + redeemed + expired + adjusted."""
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(EntryRow.amount), 0)))
    return [] if total == 0 else [f"the ledger does not balance: all entries sum to {total}, not 0"]


def cached_balances(session: Session) -> list[str]:
    """Member accounts whose cached balance differs from the sum of their entries."""
    sums = (sa.select(EntryRow.account_id, sa.func.sum(EntryRow.amount).label("total"))
            .group_by(EntryRow.account_id).subquery())
    rows = session.execute(
        sa.select(AccountRow.code, AccountRow.balance, sa.func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == AccountRow.id)
        .where(AccountRow.kind == "member", AccountRow.balance != sa.func.coalesce(sums.c.total, 0)))
    return [f"account {code}: cached balance {cached}, entries sum to {total}" for code, cached, total in rows]


def lots_agree(session: Session) -> list[str]:
    """Lots out of bounds, and members whose lots minus debt differ from their balance."""
    bad_bounds = session.execute(sa.select(LotRow.id).where(sa.not_(
        (LotRow.reserved >= 0) & (LotRow.reserved <= LotRow.remaining) & (LotRow.remaining <= LotRow.amount))))
    problems = [f"lot {lot_id}: reserved/remaining/amount out of bounds" for (lot_id,) in bad_bounds]
    remaining = (sa.select(LotRow.member_id, sa.func.sum(LotRow.remaining).label("remaining"))
                 .group_by(LotRow.member_id).subquery())
    rows = session.execute(
        sa.select(AccountRow.code, AccountRow.balance, AccountRow.debt, sa.func.coalesce(remaining.c.remaining, 0))
        .outerjoin(remaining, remaining.c.member_id == AccountRow.member_id)
        .where(AccountRow.kind == "member",
               sa.func.coalesce(remaining.c.remaining, 0) - AccountRow.debt != AccountRow.balance))
    problems += [f"account {code}: lots hold {held} points and debt is {debt}, but the balance is {balance}"
                 for code, balance, debt, held in rows]
    return problems


def reservations_agree(session: Session) -> list[str]:
    """Lots whose reserved points differ from what pending holds reserve on them, and pending holds not fully reserved."""
    held = (sa.select(HoldLotRow.lot_id, sa.func.sum(HoldLotRow.points).label("points"))
            .join(HoldRow, HoldRow.id == HoldLotRow.hold_id).where(HoldRow.status == "pending")
            .group_by(HoldLotRow.lot_id).subquery())
    rows = session.execute(
        sa.select(LotRow.id, LotRow.reserved, sa.func.coalesce(held.c.points, 0))
        .outerjoin(held, held.c.lot_id == LotRow.id)
        .where(LotRow.reserved != sa.func.coalesce(held.c.points, 0)))
    problems = [f"lot {lot}: reserved {reserved}, but pending holds reserve {points}" for lot, reserved, points in rows]
    pending_sums = (sa.select(HoldLotRow.hold_id, sa.func.sum(HoldLotRow.points).label("points"))
                    .group_by(HoldLotRow.hold_id).subquery())
    rows = session.execute(
        sa.select(HoldRow.public_id, HoldRow.points, sa.func.coalesce(pending_sums.c.points, 0))
        .outerjoin(pending_sums, pending_sums.c.hold_id == HoldRow.id)
        .where(HoldRow.status == "pending", HoldRow.points != sa.func.coalesce(pending_sums.c.points, 0)))
    problems += [f"hold {hold}: holds {points} points but reserves {reserved} on lots" for hold, points, reserved in rows]
    return problems


def holds_resolved_once(session: Session) -> list[str]:
    """Holds resolved more than once or inconsistently: each capture has exactly its one transaction."""
    rows = session.execute(sa.select(HoldRow.public_id, HoldRow.status, HoldRow.capture_transaction_id,
                                     HoldRow.captured_points, LedgerTransactionRow.points)
                           .outerjoin(LedgerTransactionRow, LedgerTransactionRow.id == HoldRow.capture_transaction_id)
                           .where(sa.or_(HoldRow.status == "captured", HoldRow.capture_transaction_id.is_not(None))))
    problems = []
    for hold, status, transaction, captured, posted in rows:
        if status != "captured" or transaction is None or posted != -captured:
            problems.append(f"hold {hold}: {status} with capture transaction {transaction} "
                            f"posting {posted} for {captured} captured points")
    shared = session.execute(sa.select(HoldRow.capture_transaction_id).where(HoldRow.capture_transaction_id.is_not(None))
                             .group_by(HoldRow.capture_transaction_id).having(sa.func.count() > 1))
    problems += [f"transaction {t} captures more than one hold" for (t,) in shared]
    captures = session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow).where(
        LedgerTransactionRow.kind == "capture",
        ~sa.exists().where(HoldRow.capture_transaction_id == LedgerTransactionRow.id)))
    if captures:
        problems.append(f"{captures} capture transactions belong to no hold")
    return problems


def receipts_earned_once(session: Session) -> list[str]:
    """Receipts whose lines, ledger posting and total disagree, or that share an earning."""
    line_sums = (sa.select(ReceiptLineRow.receipt_id, sa.func.sum(ReceiptLineRow.points).label("points"))
                 .group_by(ReceiptLineRow.receipt_id).subquery())
    rows = session.execute(
        sa.select(ReceiptRow.receipt_number, ReceiptRow.points, sa.func.coalesce(line_sums.c.points, 0),
                  LedgerTransactionRow.points)
        .outerjoin(line_sums, line_sums.c.receipt_id == ReceiptRow.id)
        .outerjoin(LedgerTransactionRow, LedgerTransactionRow.id == ReceiptRow.transaction_id)
        .where(sa.or_(ReceiptRow.points != sa.func.coalesce(line_sums.c.points, 0),
                      ReceiptRow.points != sa.func.coalesce(LedgerTransactionRow.points, 0))))
    problems = [f"receipt {number}: earned {points}, lines say {lines}, "
                + ("no ledger transaction" if posted is None else f"ledger says {posted}")
                for number, points, lines, posted in rows]
    shared = session.execute(sa.select(ReceiptRow.transaction_id).where(ReceiptRow.transaction_id.is_not(None))
                             .group_by(ReceiptRow.transaction_id).having(sa.func.count() > 1))
    problems += [f"transaction {t} is the earning of more than one receipt" for (t,) in shared]
    earns = session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow).where(
        LedgerTransactionRow.kind == "earn", ~sa.exists().where(ReceiptRow.transaction_id == LedgerTransactionRow.id)))
    if earns:
        problems.append(f"{earns} earn transactions belong to no receipt")
    return problems


def refunds_within_purchase(session: Session) -> list[str]:
    """Receipt lines refunded beyond the quantity bought or the points earned."""
    rows = session.execute(
        sa.select(ReceiptLineRow.id, ReceiptLineRow.quantity, ReceiptLineRow.points,
                  sa.func.sum(RefundLineRow.quantity), sa.func.sum(RefundLineRow.points))
        .join(RefundLineRow, RefundLineRow.receipt_line_id == ReceiptLineRow.id)
        .group_by(ReceiptLineRow.id, ReceiptLineRow.quantity, ReceiptLineRow.points)
        .having(sa.or_(sa.func.sum(RefundLineRow.quantity) > ReceiptLineRow.quantity,
                       sa.func.sum(RefundLineRow.points) > ReceiptLineRow.points)))
    return [f"receipt line {line}: {rq} of {q} returned, {rp} of {p} points reversed" for line, q, p, rq, rp in rows]


def ledger_is_append_only(session: Session) -> list[str]:
    """Ledger tables missing the triggers that refuse UPDATE and DELETE."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = ("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "WHERE NOT t.tgisinternal")
    triggers = {(table, name) for table, name in session.execute(sa.text(query))}
    return [f"table {table} accepts {verb}: its immutability trigger is missing"
            for table in IMMUTABLE_TABLES for verb in ("update", "delete")
            if (table, f"{table}_no_{verb}") not in triggers]


CHECKS: tuple[Callable[[Session], list[str]], ...] = (
    transactions_balance, checksums_match, conservation, cached_balances, lots_agree, reservations_agree,
    holds_resolved_once, receipts_earned_once, refunds_within_purchase, ledger_is_append_only,
    closed_months_agree)
