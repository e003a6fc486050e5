"""Writing a receipt that earned: the receipt, its lines, and what each rule gave it.

Guarantees: the receipt, its lines and its rule awards (with the points each gave each
line) are written together or not at all; a receipt (store, terminal, receipt number) that
exists already, or that a concurrent transaction is inserting (PostgreSQL waits for it), is
not written again and nothing of it is (``record_receipt`` answers no receipt id). On
PostgreSQL it is one statement, with the ledger posting of the receipt's points; elsewhere
one statement per table.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import insert_unless_taken, is_postgres, postgresql_row
from engine.ledger.accounts import ACCOUNT_WRITTEN_CTE, Posting, posting_ctes, write_posting
from engine.ledger.idempotency import ANSWER_CTE
from engine.orm.ledger import ReceiptLineRow, ReceiptRow
from engine.orm.rules import ReceiptRuleAwardRow
from engine.rules.campaigns import BudgetClaims, budget_ctes


@dataclass(frozen=True)
class Recorded:
    """The new receipt's id (None when the receipt was taken) and its ledger transaction's."""

    receipt_id: int | None
    transaction_id: int | None
    answer_id: int | None = None  # the idempotency key's row written with it (None: not asked, or taken)
    budgets_taken: bool = True  # whether every campaign's budget claim was taken (else refuse and run again)


def record_receipt(session: Session, receipt: dict, lines: list[dict], awards: list[dict],
                   posting: Posting | None = None, answer: dict | None = None,
                   budgets: BudgetClaims | None = None, account_id: int | None = None) -> Recorded:
    """Insert the receipt (``receipts`` columns but ``transaction_id``), its ``lines``
    (``receipt_lines`` columns but the receipt's id) and its ``awards``
    (``receipt_rule_awards`` columns but the receipt's id; ``line_points`` a list of
    ``[line_no, points]``), with the ledger ``posting`` that earned its points (if any),
    which the receipt refers to.

    When the receipt was taken, the posting is written all the same (the caller refuses the
    command, which rolls it back).

    ``answer`` (PostgreSQL only): the parameters of the idempotency key's row with the
    command's answer (``engine.ledger.idempotency.AnswerToWrite.parameters``, the field left
    to the statement being the transaction's id), written in the same statement.

    ``budgets`` (PostgreSQL only): the campaign budget the sale's rules claimed, taken in the
    same statement (``engine.rules.campaigns.BudgetClaims``); when a claim found no slice
    with room, ``budgets_taken`` is False and the caller must refuse it all, as for a receipt
    taken, and run the sale again.

    ``account_id`` (PostgreSQL, without a posting: a sale that earns nothing): the member's
    account, whose row the statement writes unchanged (``engine.ledger.accounts.LOCKED_AS_SEEN``:
    the receipt changes what the member's next accrual reads)."""
    if is_postgres(session):
        # The lines and awards as two JSON documents: the driver dumps a list parameter in
        # Python, element by element, and one per column cost the client 85 µs a receipt.
        parameters = {**receipt, "lines": json.dumps(lines, default=str),
                      "awards": json.dumps(awards, default=str), **(answer or {})}
        claims = 0 if budgets is None else len(budgets.wanted)
        if claims:
            parameters.update(budgets.parameters())
        if posting is None:
            assert account_id is not None, "a receipt without a posting writes its member's account unchanged"
            found = postgresql_row(session, _record_on_postgresql(None, answer is not None, claims),
                                   {**parameters, "transaction_id": None, "written_account_id": account_id})
            return Recorded(found.receipt_id, None, found.answer_id, found.budgets_taken == claims)
        # (flushed first: the account row must hold the balance the ORM knows before moving it)
        found = postgresql_row(session, _record_on_postgresql((len(posting.entries), posting.lot is not None),
                                                              answer is not None, claims),
                               {**parameters, **posting.parameters()})
        posting.written()
        return Recorded(found.receipt_id, found.transaction_id, found.answer_id, found.budgets_taken == claims)
    assert answer is None and budgets is None, "the answer and the budget go with the receipt on PostgreSQL only"
    transaction_id = write_posting(session, posting).id if posting is not None else None
    receipt_id = insert_unless_taken(session, _RECEIPTS, ["store_id", "terminal_id", "receipt_number"],
                                     {**receipt, "transaction_id": transaction_id}, returning=_RECEIPTS.c.id)
    if receipt_id is None:
        return Recorded(None, transaction_id)
    session.execute(_INSERT_LINES, [{**line, "receipt_id": receipt_id} for line in lines])
    if awards:
        session.execute(_INSERT_AWARDS, [{**award, "receipt_id": receipt_id} for award in awards])
    return Recorded(receipt_id, transaction_id)


_RECEIPTS = ReceiptRow.__table__
_LINES = ReceiptLineRow.__table__
_AWARDS = ReceiptRuleAwardRow.__table__
# Core, one multi-row INSERT each, whichever columns are None
_INSERT_LINES = sa.insert(_LINES)
_INSERT_AWARDS = sa.insert(_AWARDS)

_LINE_COLUMNS = {"line_no": "INTEGER", "sku": "VARCHAR", "category": "VARCHAR", "brand": "VARCHAR",
                 "quantity": "NUMERIC", "amount_minor": "BIGINT", "eligible_minor": "BIGINT", "points": "BIGINT"}
_AWARD_COLUMNS = {"member_id": "INTEGER", "rule_version_id": "INTEGER", "rule_key": "VARCHAR",
                  "campaign_code": "VARCHAR", "local_date": "DATE", "desired": "BIGINT", "applied": "BIGINT",
                  "capped_by": "VARCHAR"}


def _rows(parameter: str, alias: str, columns: dict[str, str]) -> str:
    """Rows from the JSON list of objects ``:parameter`` (decimals and days as text), as ``alias``."""
    typed = ", ".join(f"{column} {kind}" for column, kind in columns.items())
    return f"json_to_recordset(CAST(:{parameter} AS JSON)) AS {alias}({typed})"


# Data-modifying CTEs all run to completion; when the receipt is taken, ``receipt`` is
# empty and so is everything joined to it.
@functools.cache
def _record_on_postgresql(posting: tuple[int, bool] | None, answer: bool, budgets: int) -> sa.TextClause:
    """The receipt's statement, with the posting's CTEs for ``posting`` = (entry count, with
    lot), with ``answer`` the idempotency key's row, and ``budgets`` campaigns' budget claims."""
    before, transaction_id = (ACCOUNT_WRITTEN_CTE + ",", "CAST(:transaction_id AS BIGINT)") if posting is None else (
        posting_ctes(*posting) + ",", "(SELECT id FROM posted)")
    budget_ctes_sql, budgets_taken = budget_ctes(budgets)
    if budgets:
        before += budget_ctes_sql + ","
    posted = "" if posting is None else ", (SELECT id FROM posted) AS transaction_id"
    # (written even when the receipt was taken: the command is refused, which rolls it back)
    answered = f",\n    {ANSWER_CTE.format(value=transaction_id)}" if answer else ""
    answer_id = "(SELECT id FROM answered)" if answer else "CAST(NULL AS INTEGER)"
    return sa.text(f"""
    WITH {before}
    receipt AS (
        INSERT INTO receipts (store_id, terminal_id, receipt_number, member_id, occurred_at, currency, total_minor,
                              paid_with_points_minor, points, transaction_id, cashier)
        VALUES (:store_id, :terminal_id, :receipt_number, :member_id, :occurred_at, :currency, :total_minor,
                :paid_with_points_minor, :points, {transaction_id}, :cashier)
        ON CONFLICT (store_id, terminal_id, receipt_number) DO NOTHING
        RETURNING id),
    line AS (
        INSERT INTO receipt_lines (receipt_id, {", ".join(_LINE_COLUMNS)})
        SELECT receipt.id, {", ".join(f"line.{name}" for name in _LINE_COLUMNS)}
        FROM receipt, {_rows("lines", "line", _LINE_COLUMNS)}),
    award AS (
        INSERT INTO receipt_rule_awards (receipt_id, {", ".join(_AWARD_COLUMNS)}, line_points)
        SELECT receipt.id, {", ".join(f"award.{name}" for name in _AWARD_COLUMNS)}, award.line_points
        FROM receipt, {_rows("awards", "award", {**_AWARD_COLUMNS, "line_points": "JSON"})}){answered}
    SELECT (SELECT id FROM receipt) AS receipt_id{posted}, {answer_id} AS answer_id,
           {budgets_taken} AS budgets_taken""")
