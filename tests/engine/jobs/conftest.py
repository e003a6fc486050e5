from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from engine.jobs.runs import run_job
from tests.support.snapshot import table_contents


@pytest.fixture
def run(database):
    """``run("expire", as_of)``: run a job by the runner, ``now`` = ``as_of``."""
    def go(name: str, as_of: datetime, *, db=None):
        return run_job(db or database, name, as_of=as_of, now=as_of, worker="tests")
    return go


def _ledger_rows(db) -> dict[str, list[tuple]]:
    """Ledger content without surrogate ids (two databases built alike compare equal)."""
    contents = table_contents(db)
    with db.engine.connect() as connection:
        transactions = connection.execute(sa.text(
            "SELECT kind, member_id, points, occurred_at, description FROM ledger_transactions ORDER BY id")).all()
        lots = connection.execute(sa.text(
            "SELECT member_id, amount, remaining, reserved, expires_at FROM lots ORDER BY id")).all()
        balances = connection.execute(sa.text("SELECT kind, member_id, balance, debt FROM accounts ORDER BY id")).all()
    return {"transactions": [tuple(r) for r in transactions], "lots": [tuple(r) for r in lots],
            "balances": [tuple(r) for r in balances], "outbox": [r[1:5] for r in contents["outbox_messages"]],
            "birthday_bonuses": contents["birthday_bonuses"]}


@pytest.fixture
def ledger_rows():
    """``ledger_rows(db)``: the ledger's content without surrogate ids."""
    return _ledger_rows


@pytest.fixture
def midnight():
    """``midnight(2026, 12, 31)``: that day's start in UTC."""
    return lambda year, month, day: datetime(year, month, day, tzinfo=UTC)
