"""Closed months: each past month's postings summed once, a day after the month ended; the
liability statement reads the same with them as from the entries, reads them instead of
the entries, and the invariant checks hold them to the entries."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from engine import reports
from engine.ledger.closed_months import close_months
from engine.ledger.expiry import expire_lots
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import ClosedMonthRow, LotRow
from engine.settings import update_settings

def history(database, clock, make_member, earn, pay_with_points) -> datetime:
    """An adjustment in February, a sale in March, a payment with points in April, nothing
    for months, then the expiry of everything left (posted when it ran, returned)."""
    clock.advance(days=-10)  # 2026-02-20
    bo = make_member(points=300)
    clock.advance(days=10)  # 2026-03-02
    earn(make_member(), 2000)
    clock.advance(days=30)  # 2026-04-01
    pay_with_points(bo, 120)
    with database.transaction() as session:
        expired_on = session.scalar(sa.select(sa.func.max(LotRow.expires_at))) + timedelta(days=3)
    assert expire_lots(database, as_of=expired_on).points == 200
    return expired_on


def statements(database, as_ofs):
    """The statements of a few lengths as of each instant, without whether each month is closed."""
    return {(as_of, months): [replace(month, closed=False)
                              for month in reports.liability_statement(database, as_of=as_of, months=months)]
            for as_of in as_ofs for months in (1, 3, 12)}


def closed(database):
    with database.transaction() as session:
        return [(row.zone, row.month, row.issuance, row.redemption, row.expiry, row.adjustment)
                for row in session.scalars(sa.select(ClosedMonthRow).order_by(ClosedMonthRow.zone,
                                                                             ClosedMonthRow.month))]


def test_the_statement_reads_the_same_whichever_months_are_closed(database, clock, make_member, earn,
                                                                  pay_with_points):
    expired_on = history(database, clock, make_member, earn, pay_with_points)
    as_ofs = [datetime(2026, 3, 31, 23, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC),
              datetime(2026, 7, 10, tzinfo=UTC), expired_on + timedelta(days=20), expired_on + timedelta(days=100)]
    from_the_entries = statements(database, as_ofs)
    assert from_the_entries[as_ofs[-1], 12][-1].closing == 0  # everything expired

    for as_of in (datetime(2026, 4, 1, 12, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC),
                  expired_on + timedelta(days=10), expired_on + timedelta(days=200)):
        close_months(database, as_of=as_of)
        assert statements(database, as_ofs) == from_the_entries, as_of
    zone = closed(database)[0][0]
    assert closed(database)[:6] == [(zone, "2026-02", 0, 0, 0, -300), (zone, "2026-03", -20, 0, 0, 0),
                                    (zone, "2026-04", 0, 120, 0, 0), (zone, "2026-05", 0, 0, 0, 0),
                                    (zone, "2026-06", 0, 0, 0, 0), (zone, "2026-07", 0, 0, 0, 0)]
    assert [row for row in closed(database) if row[4]] == [(zone, expired_on.strftime("%Y-%m"), 0, 0, 200, 0)]
    assert check_ledger(database) == []


def test_a_month_closes_a_day_after_it_ended_and_only_once(database, clock, make_member):
    make_member(points=300)  # 2026-03-02
    zone_end = reports.liability_statement(database, as_of=clock(), months=1)  # (nothing closed)
    assert close_months(database, as_of=datetime(2026, 3, 31, tzinfo=UTC)).months == 0
    run = close_months(database, as_of=datetime(2026, 4, 2, 12, tzinfo=UTC))
    assert (run.months, run.through) == (1, "2026-03")
    assert close_months(database, as_of=datetime(2026, 4, 2, 13, tzinfo=UTC)).months == 0
    assert [row[1:] for row in closed(database)] == [("2026-03", 0, 0, 0, -300)]
    assert zone_end == reports.liability_statement(database, as_of=clock(), months=1)


def test_the_statement_reads_a_closed_month_from_its_row_and_the_checks_hold_the_row_to_the_entries(
        database, clock, make_member):
    make_member(points=300)
    close_months(database, as_of=datetime(2026, 5, 1, tzinfo=UTC))
    with database.transaction() as session:  # a closed month changed behind the engine's back
        session.execute(sa.update(ClosedMonthRow).where(ClosedMonthRow.month == "2026-03").values(adjustment=-301))
    [april] = reports.liability_statement(database, as_of=datetime(2026, 4, 30, tzinfo=UTC), months=1)
    assert april.opening == 301
    assert [problem for problem in check_ledger(database) if "closed month" in problem] == [
        f"closed month 2026-03 of {closed(database)[0][0]}: adjustment -301, its entries sum to -300"]


def test_a_new_time_zone_closes_the_months_afresh(database, clock, make_member):
    clock.advance(days=29, hours=12)  # 2026-03-31 22:00 UTC: still March in London, April in Tokyo
    make_member(points=300)
    update_settings(database, {"timezone": "Europe/London"}, now=clock())
    close_months(database, as_of=datetime(2026, 6, 1, tzinfo=UTC))
    update_settings(database, {"timezone": "Asia/Tokyo"}, now=clock())
    [april] = reports.liability_statement(database, as_of=datetime(2026, 4, 30, tzinfo=UTC), months=1)
    assert (april.opening, april.adjusted) == (0, 300)  # the London closings are not used in Tokyo
    close_months(database, as_of=datetime(2026, 6, 1, tzinfo=UTC))
    assert [row[:2] for row in closed(database)] == [("Asia/Tokyo", "2026-04"), ("Europe/London", "2026-03"),
                                                     ("Europe/London", "2026-04")]
    assert reports.liability_statement(database, as_of=datetime(2026, 4, 30, tzinfo=UTC), months=1) == [april]
    assert check_ledger(database) == []


def test_a_job_run_for_an_earlier_day_opens_the_months_from_that_day_on(database, clock, make_member, earn):
    earn(make_member(), 2000)  # 2026-03-02
    with database.transaction() as session:
        expires_at = session.scalar(sa.select(sa.func.min(LotRow.expires_at)))
    close_months(database, as_of=expires_at + timedelta(days=400))
    through = closed(database)[-1][1]
    # the operator runs the expiry for the day after the lot expired: a posting in a closed month
    assert expire_lots(database, as_of=expires_at + timedelta(days=1)).points == 20
    months = [row[1] for row in closed(database)]
    assert months[0] == "2026-03" and months[-1] < (expires_at + timedelta(days=1)).strftime("%Y-%m") < through
    assert check_ledger(database) == []
    assert reports.liability_statement(database, as_of=expires_at + timedelta(days=40), months=3)[-1].closing == 0
    close_months(database, as_of=expires_at + timedelta(days=400))
    assert closed(database)[-1][1] == through and check_ledger(database) == []


def test_the_statement_tells_which_months_are_closed(database, clock, make_member):
    make_member(points=300)  # 2026-03-02
    close_months(database, as_of=datetime(2026, 5, 15, tzinfo=UTC))
    statement = reports.liability_statement(database, as_of=datetime(2026, 5, 15, tzinfo=UTC), months=4)
    assert [(month.month, month.closed) for month in statement] == [
        ("2026-02", False), ("2026-03", True), ("2026-04", True), ("2026-05", False)]
