"""Migration 0010 moves each award's points per line from receipt_line_rule_points into the
award's row (a JSON list of [line_no, points]), and back on downgrade, losing nothing."""
import json

import sqlalchemy as sa

from engine import schema
from tests.migrations.test_migrations import empty_db  # noqa: F401  (the fixture: both databases)

AT = "2026-11-30 10:00:00+00:00"
ROWS = [
    "INSERT INTO stores (id, code, name, timezone, created_at) VALUES (1, 'S1', 'Store', 'Europe/Berlin', :at)",
    "INSERT INTO terminals (id, code, store_id, name, status, created_at) "
    "VALUES (1, 'S1-T1', 1, 'Till', 'active', :at)",
    "INSERT INTO members (id, public_id, status, enrolled_at, created_at) VALUES (1, 'M1', 'active', :at, :at)",
    "INSERT INTO receipts (id, store_id, terminal_id, receipt_number, member_id, occurred_at, currency, total_minor, "
    "paid_with_points_minor, points) VALUES (1, 1, 1, 'R1', 1, :at, 'EUR', 300, 0, 7)",
    *(f"INSERT INTO receipt_lines (id, receipt_id, line_no, sku, quantity, amount_minor, eligible_minor, points) "
      f"VALUES ({n}, 1, {n}, 'SKU{n}', 1, {100 * n}, {100 * n}, {n})" for n in (1, 2, 3)),
    *(f"INSERT INTO receipt_rule_awards (id, receipt_id, member_id, rule_key, local_date, desired, applied) "
      f"VALUES ({n}, 1, 1, '{key}', '2026-11-30', {points}, {points})"
      for n, key, points in ((1, "base", 3), (2, "tea", 4), (3, "birthday", 0))),
    # in no particular order: the pairs come out in line order
    *(f"INSERT INTO receipt_line_rule_points (award_id, receipt_line_id, points) VALUES ({a}, {line}, {points})"
      for a, line, points in ((1, 2, 2), (1, 1, 1), (2, 3, 3), (2, 1, 1))),
]


def line_points(db) -> dict:
    """By rule key (plain SQL: PostgreSQL's driver parses JSON, SQLite's gives text)."""
    with db.transaction() as session:
        return {key: given if isinstance(given, list) else json.loads(given) for key, given in session.execute(
            sa.text("SELECT rule_key, line_points FROM receipt_rule_awards ORDER BY id"))}


def test_points_per_line_move_into_the_award_and_back(empty_db):  # noqa: F811
    schema.upgrade(empty_db, "0009")
    with empty_db.transaction() as session:
        for row in ROWS:
            session.execute(sa.text(row), {"at": AT})
    schema.upgrade(empty_db, "0010")
    assert line_points(empty_db) == {"base": [[1, 1], [2, 2]], "tea": [[1, 1], [3, 3]], "birthday": []}
    schema.downgrade(empty_db, "0009")
    with empty_db.transaction() as session:
        back = sorted(tuple(row) for row in session.execute(sa.text(
            "SELECT award_id, receipt_line_id, points FROM receipt_line_rule_points")))
    assert back == [(1, 1, 1), (1, 2, 2), (2, 1, 1), (2, 3, 3)]
