"""Reports count days and months where the programme lives, not in UTC: a New York
programme's evening postings belong to that evening's day and month, and the fraud check
counts a till's sales by the till's own day."""
from datetime import UTC, date, datetime, timedelta

import pytest

from engine import reports
from engine.settings import update_settings


@pytest.fixture
def new_york(database, clock):
    update_settings(database, {"timezone": "America/New_York"}, now=clock())


def test_a_new_york_evening_posting_counts_on_that_evenings_day(database, clock, new_york, make_member):
    clock.advance(hours=17)  # 2026-03-03 03:00 UTC: 22:00 on 2 March in New York
    make_member(points=500)
    (flow,) = reports.daily_flows(database, as_of=clock(), days=1)
    assert (flow.day, flow.adjusted) == (date(2026, 3, 2), 500)


def test_a_posting_on_the_last_evening_of_a_month_counts_in_that_month(database, clock, new_york, make_member):
    clock.advance(days=29, hours=16)  # 2026-04-01 02:00 UTC: 22:00 on 31 March in New York
    make_member(points=300)
    clock.advance(hours=4)  # 06:00 UTC: 1 April in New York too
    make_member(points=40)
    statement = reports.liability_statement(database, as_of=clock(), months=2)
    assert [(s.month, s.adjusted, s.closing) for s in statement] == [("2026-03", 300, 300), ("2026-04", 40, 340)]


def test_the_fraud_check_counts_a_tills_sales_by_the_tills_own_day(database, clock, make_member, earn):
    # The test till is in Berlin (UTC+1 in March): 23:30 UTC on 2 March is 00:30 on 3 March there.
    member = make_member()
    clock.advance(days=1)  # 2026-03-03 10:00 UTC
    earn(member, 1000, occurred_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    earn(member, 1000)
    earn(member, 1000)
    listed = reports.frequent_earners(database, as_of=clock(), days=1, min_sales=3)
    assert [(e.day, e.sales) for e in listed] == [(date(2026, 3, 3), 3)]
    assert reports.frequent_earners(database, as_of=clock() - timedelta(days=1), days=1, min_sales=1) == []
