"""Nightly closes racing on PostgreSQL (two schedulers, or a scheduler and an operator, for
different ``as_of``): every month is closed once, with its postings' sums, and nothing fails."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from engine.ledger.closed_months import close_months
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import ClosedMonthRow
from tests.support.races import all_at_once, handle_for_racers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CLOSERS = 6


@pytest.fixture
def database(postgres_db):
    return postgres_db


def test_closes_racing_close_each_month_once(database, clock, make_member, earn):
    for _ in range(4):  # a posting in each of four months from 2026-03
        earn(make_member(), 1000)
        clock.advance(days=31)
    with handle_for_racers(database, CLOSERS) as racing:
        runs, raised = all_at_once(lambda n: close_months(racing, as_of=datetime(2026, 8, 1, tzinfo=UTC)
                                                          + timedelta(days=n)), CLOSERS)
    assert raised == []
    # July closes from 2026-08-02 on; the close as of 2026-08-01 says June, or July when it
    # read after another close had committed July (it closes nothing then)
    throughs = {run.through for run in runs}
    assert "2026-07" in throughs and throughs <= {"2026-06", "2026-07"}
    assert sum(run.months for run in runs) == 5
    with database.transaction() as session:
        months = session.execute(sa.select(ClosedMonthRow.month, sa.func.count()).group_by(ClosedMonthRow.month)
                                 .order_by(ClosedMonthRow.month)).all()
    assert months == [("2026-03", 1), ("2026-04", 1), ("2026-05", 1), ("2026-06", 1), ("2026-07", 1)]
    assert check_ledger(database) == []
