"""Writing a receipt that earned: the receipt, its lines, and what each rule gave it.

Guarantees: the receipt, its lines, its rule awards and their points per line are written
together or not at all; a receipt (store, terminal, receipt number) that exists already,
or that a concurrent transaction is inserting (PostgreSQL waits for it), is not written
again and nothing of it is (``record_receipt`` answers no receipt id). On PostgreSQL it is
one statement, with the ledger posting of the receipt's points; elsewhere one statement
per table.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import insert_unless_taken
from engine.ledger.accounts import Posting, posting_ctes, write_posting
from engine.orm.ledger import ReceiptLineRow, ReceiptRow
from engine.orm.rules import ReceiptLineRulePointsRow, ReceiptRuleAwardRow


@dataclass(frozen=True)
class Recorded:
    """The new receipt's id (None when the receipt was taken) and its ledger transaction's."""

    receipt_id: int | None
    transaction_id: int | None


@dataclass(frozen=True)
class LinePointsOfRule:
    """Points one rule (by key: one award per rule key and receipt) gave one line."""

    rule_key: str
    line_no: int
    points: int


def record_receipt(session: Session, receipt: dict, lines: list[dict], awards: list[dict],
                   line_points: list[LinePointsOfRule], posting: Posting | None = None) -> Recorded:
    """Insert the receipt (``receipts`` columns but ``transaction_id``), its ``lines``
    (``receipt_lines`` columns but the receipt's id), its ``awards`` (``receipt_rule_awards``
    columns but the receipt's id) and the awards' ``line_points``, with the ledger
    ``posting`` that earned its points (if any), which the receipt refers to.

    When the receipt was taken, the posting is written all the same (the caller refuses the
    command, which rolls it back)."""
    if session.get_bind().dialect.name == "postgresql":
        parameters = {
            **receipt,
            **{f"line_{column}": [line[column] for line in lines] for column in _LINE_COLUMNS},
            **{f"award_{column}": [award[column] for award in awards] for column in _AWARD_COLUMNS},
            "points_rule_key": [p.rule_key for p in line_points], "points_line_no": [p.line_no for p in line_points],
            "points_points": [p.points for p in line_points]}
        if posting is None:
            return Recorded(session.scalar(_record_on_postgresql(None), {**parameters, "transaction_id": None}), None)
        session.flush()  # the account row must hold the balance the ORM knows before moving it
        found = session.execute(_record_on_postgresql((len(posting.entries), posting.lot is not None)),
                                {**parameters, **posting.parameters()}).one()
        posting.written()
        return Recorded(found.receipt_id, found.transaction_id)
    transaction_id = write_posting(session, posting).id if posting is not None else None
    receipt_id = insert_unless_taken(session, _RECEIPTS, ["store_id", "terminal_id", "receipt_number"],
                                     {**receipt, "transaction_id": transaction_id}, returning=_RECEIPTS.c.id)
    if receipt_id is None:
        return Recorded(None, transaction_id)
    line_ids = dict(session.execute(_INSERT_LINES, [{**line, "receipt_id": receipt_id} for line in lines]).all())
    if awards:
        award_ids = dict(zip((award["rule_key"] for award in awards), session.scalars(
            _INSERT_AWARDS, [{**award, "receipt_id": receipt_id} for award in awards]).all()))
        if line_points:
            session.execute(_INSERT_LINE_POINTS, [
                {"award_id": award_ids[p.rule_key], "receipt_line_id": line_ids[p.line_no], "points": p.points}
                for p in line_points])
    return Recorded(receipt_id, transaction_id)


_RECEIPTS = ReceiptRow.__table__
_LINES = ReceiptLineRow.__table__
_AWARDS = ReceiptRuleAwardRow.__table__
# Core, one multi-row INSERT each, whichever columns are None
_INSERT_LINES = sa.insert(_LINES).returning(_LINES.c.line_no, _LINES.c.id)
_INSERT_AWARDS = sa.insert(_AWARDS).returning(_AWARDS.c.id, sort_by_parameter_order=True)
_INSERT_LINE_POINTS = sa.insert(ReceiptLineRulePointsRow.__table__)

_LINE_COLUMNS = {"line_no": "INTEGER", "sku": "VARCHAR", "category": "VARCHAR", "brand": "VARCHAR",
                 "quantity": "NUMERIC", "amount_minor": "BIGINT", "eligible_minor": "BIGINT", "points": "BIGINT"}
_AWARD_COLUMNS = {"member_id": "INTEGER", "rule_version_id": "INTEGER", "rule_key": "VARCHAR",
                  "campaign_code": "VARCHAR", "local_date": "DATE", "desired": "BIGINT", "applied": "BIGINT",
                  "capped_by": "VARCHAR"}


def _unnest(prefix: str, columns: dict[str, str], alias: str | None = None) -> str:
    """Rows from one array parameter per column (``:prefix_column``), as ``alias`` (or ``prefix``)."""
    arrays = ", ".join(f"CAST(:{prefix}_{name} AS {kind}[])" for name, kind in columns.items())
    return f"unnest({arrays}) AS {alias or prefix}({', '.join(columns)})"


# Data-modifying CTEs all run to completion; when the receipt is taken, ``receipt`` is
# empty and so is everything joined to it. Line points find their award by rule key and
# their line by number, both unique within the receipt.
@functools.cache
def _record_on_postgresql(posting: tuple[int, bool] | None) -> sa.TextClause:
    """The receipt's statement, with the posting's CTEs for ``posting`` = (entry count, with lot)."""
    before, transaction_id = ("", ":transaction_id") if posting is None else (
        posting_ctes(*posting) + ",", "(SELECT id FROM posted)")
    posted = "" if posting is None else ", (SELECT id FROM posted) AS transaction_id"
    return sa.text(f"""
    WITH {before}
    receipt AS (
        INSERT INTO receipts (store_id, terminal_id, receipt_number, member_id, occurred_at, currency, total_minor,
                              paid_with_points_minor, points, transaction_id)
        VALUES (:store_id, :terminal_id, :receipt_number, :member_id, :occurred_at, :currency, :total_minor,
                :paid_with_points_minor, :points, {transaction_id})
        ON CONFLICT (store_id, terminal_id, receipt_number) DO NOTHING
        RETURNING id),
    line AS (
        INSERT INTO receipt_lines (receipt_id, {", ".join(_LINE_COLUMNS)})
        SELECT receipt.id, {", ".join(f"line.{name}" for name in _LINE_COLUMNS)}
        FROM receipt, {_unnest("line", _LINE_COLUMNS)}
        RETURNING id, line_no),
    award AS (
        INSERT INTO receipt_rule_awards (receipt_id, {", ".join(_AWARD_COLUMNS)})
        SELECT receipt.id, {", ".join(f"award.{name}" for name in _AWARD_COLUMNS)}
        FROM receipt, {_unnest("award", _AWARD_COLUMNS)}
        RETURNING id, rule_key),
    line_points AS (
        INSERT INTO receipt_line_rule_points (award_id, receipt_line_id, points)
        SELECT award.id, line.id, given.points
        FROM {_unnest("points", {"rule_key": "VARCHAR", "line_no": "INTEGER", "points": "BIGINT"}, "given")}
        JOIN award ON award.rule_key = given.rule_key
        JOIN line ON line.line_no = given.line_no)
    SELECT (SELECT id FROM receipt) AS receipt_id{posted}""")
