"""Building blocks for set-based ledger work: one SQL statement for many members.

Guarantees: ``lock_accounts`` locks the member accounts a bulk statement will touch, in
account id order (the same order for every bulk job, so two jobs never deadlock, and
after any single-member command, which locks one account only); ``checksum_sql`` computes
in SQL exactly what ``accounts.transaction_checksum`` computes in Python for a
transaction of two entries (member account and one system account), so the invariant
check recomputes the same fingerprint; ``post_member_transactions`` posts one balanced
transaction per row of a work table, with the same content ``post_transaction`` writes;
``credit_members`` adds the lots of a credit, as a single adjustment's would be.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import is_postgres, json_object
from engine.ledger.accounts import system_account_ids
from engine.ledger.closed_months import reopen_months
from engine.orm.types import UTCDateTime
from engine.webhooks import CREDIT_EVENT_PREFIX, CREDIT_REASONS, instant_text, record_events_selected

SQLITE_SHA256 = "loyalty_sha256"


def prepare(session: Session) -> None:
    """Make ``checksum_sql`` callable on this connection (SQLite needs the hash registered)."""
    if not is_postgres(session):
        raw = session.connection().connection.driver_connection
        raw.create_function(SQLITE_SHA256, 1, lambda text: hashlib.sha256(text.encode()).hexdigest(),
                            deterministic=True)


def sha256_sql(session: Session, expression: str) -> str:
    """SQL for the lowercase hex SHA-256 of the UTF-8 text ``expression``."""
    if is_postgres(session):
        return f"encode(sha256(convert_to({expression}, 'UTF8')), 'hex')"
    return f"{SQLITE_SHA256}({expression})"


def checksum_sql(session: Session, *, kind: str, member_pk: str, account_id: str, member_points: str,
                 system_account_id: int, occurred_at: datetime) -> str:
    """SQL for ``transaction_checksum(kind, member, occurred_at, [(account, points),
    (system account, -points)])``; the arguments other than ``kind``, ``system_account_id``
    and ``occurred_at`` are SQL expressions (constant within one statement)."""
    iso = occurred_at.astimezone(UTC).isoformat()
    mine = f"CAST({account_id} AS TEXT) || ':' || CAST({member_points} AS TEXT)"
    theirs = f"'{system_account_id}:' || CAST(-({member_points}) AS TEXT)"
    entries = (f"CASE WHEN {account_id} < {system_account_id} THEN {mine} || '|' || {theirs} "
               f"ELSE {theirs} || '|' || {mine} END")
    text = f"'{kind}|' || CAST({member_pk} AS TEXT) || '|{iso}|' || {entries}"
    return sha256_sql(session, text)


_ACCOUNTS = sa.table("accounts", sa.column("id"), sa.column("member_id"))


def lock_accounts(session: Session, members_sql: str | sa.Select, params: dict | None = None) -> None:
    """Lock the accounts of the members ``members_sql`` selects (a SELECT of member ids, as
    SQL text with ``params`` or as a query), in account id order. SQLite's transaction holds
    the database write lock already."""
    if not is_postgres(session):
        return
    if isinstance(members_sql, sa.Select):
        locked = (sa.select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.member_id.in_(members_sql)).order_by(_ACCOUNTS.c.id)
                  .with_for_update().subquery("locked"))
        session.execute(sa.select(sa.func.count()).select_from(locked))
    else:
        session.execute(sa.text(
            f"SELECT count(*) FROM (SELECT a.id FROM accounts a WHERE a.member_id IN ({members_sql}) "
            "ORDER BY a.id FOR UPDATE) locked"), params or {})


def work_table(session: Session, name: str, columns: str) -> None:
    """An empty temporary table ``name`` for this transaction's bulk work."""
    session.execute(sa.text(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})"))
    session.execute(sa.text(f"DELETE FROM {name}"))


def analyze(session: Session, table: str) -> None:
    """Give PostgreSQL's planner the size of a freshly filled work table."""
    if is_postgres(session):
        session.execute(sa.text(f"ANALYZE {table}"))


def post_member_transactions(session: Session, *, work: str, kind: str, system_account: str,
                             occurred_at: datetime, description: str | None = None,
                             description_sql: str | None = None, actor: str | None = None) -> None:
    """Post one transaction per row of the work table ``work`` (columns ``member_id``,
    ``account_id``, ``points`` = what the member's account moves by, ``transaction_id``
    empty): ``points`` on the member's account, the opposite on ``system_account``; fills
    ``transaction_id`` and moves the cached balances. The description is ``description``, or
    the SQL expression ``description_sql`` per row. The caller holds the accounts' locks and keeps lots
    consistent; no row may have zero points."""
    system_id = system_account_ids(session)[system_account]
    when = sa.bindparam("occurred_at", occurred_at, type_=UTCDateTime())
    # posted at the job's as_of, which an operator may set in a closed month: it opens again
    reopen_months(session, occurred_at)
    before = session.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM ledger_transactions"))
    checksum = checksum_sql(session, kind=kind, member_pk="w.member_id", account_id="w.account_id",
                            member_points="w.points", system_account_id=system_id, occurred_at=occurred_at)
    values = {"actor": actor}
    if description_sql is None:
        description_sql, values["description"] = ":description", description
    session.execute(sa.text(
        "INSERT INTO ledger_transactions (kind, member_id, points, occurred_at, posted_at, description, actor, "
        f"checksum) SELECT '{kind}', w.member_id, w.points, :occurred_at, :occurred_at, {description_sql}, :actor, "
        f"{checksum} FROM {work} w ORDER BY w.member_id").bindparams(when), values)
    session.execute(sa.text(
        f"UPDATE {work} SET transaction_id = t.id FROM ledger_transactions t "
        f"WHERE t.id > :before AND t.kind = '{kind}' AND t.member_id = {work}.member_id"), {"before": before})
    session.execute(sa.text(
        "INSERT INTO ledger_entries (transaction_id, account_id, amount) "
        f"SELECT transaction_id, account_id, points FROM {work} "
        f"UNION ALL SELECT transaction_id, {system_id}, -points FROM {work}"))
    session.execute(sa.text(
        f"UPDATE accounts SET balance = accounts.balance + w.points FROM {work} w WHERE accounts.id = w.account_id"))


def credit_members(session: Session, *, work: str, at: datetime, expires_at: datetime | None, description: str,
                   reason: str, actor: str | None = None, expiry_column: str | None = None) -> None:
    """Credit every row of the work table ``work`` (positive ``points``) from the adjustment
    account, as ``post_member_transactions`` posts, each with a lot available at once that
    first pays the member's debt (what pays debt is not spendable), the debt it paid taken
    off the account: bonuses, grants and opening balances alike. The lots expire at
    ``expires_at``, or at the row's own ``expiry_column`` where it is set. Each credit is a
    ``points.credited`` webhook event for ``reason`` (one of ``webhooks.CREDIT_REASONS``),
    written set-based."""
    assert reason in CREDIT_REASONS, reason
    post_member_transactions(session, work=work, kind="adjust", system_account="adjustment", occurred_at=at,
                             description=description, actor=actor)
    session.execute(sa.text(
        "INSERT INTO lots (member_id, transaction_id, amount, remaining, reserved, earned_at, available_at, "
        "expires_at) SELECT w.member_id, w.transaction_id, w.points, "
        "w.points - CASE WHEN a.debt < w.points THEN a.debt ELSE w.points END, 0, :at, :at, "
        f"{f'COALESCE(w.{expiry_column}, :expires)' if expiry_column else ':expires'} "
        f"FROM {work} w JOIN accounts a ON a.id = w.account_id")
        .bindparams(sa.bindparam("at", at, type_=UTCDateTime()),
                    sa.bindparam("expires", expires_at, type_=UTCDateTime())))
    session.execute(sa.text(
        "UPDATE accounts SET debt = accounts.debt - CASE WHEN accounts.debt < w.points THEN accounts.debt "
        f"ELSE w.points END FROM {work} w WHERE accounts.id = w.account_id AND accounts.debt > 0"))
    record_events_selected(
        session, "points.credited", event_id=f"'{CREDIT_EVENT_PREFIX}' || CAST(w.transaction_id AS TEXT)",
        data=f"{json_object(session)}('member_id', m.public_id, 'points', w.points, 'reason', CAST(:reason AS TEXT), "
             "'at', CAST(:at_text AS TEXT), 'transaction_id', w.transaction_id)",
        rows=f"FROM {work} w JOIN members m ON m.id = w.member_id",
        binds=[sa.bindparam("reason", reason), sa.bindparam("at_text", instant_text(at))], now=at)
