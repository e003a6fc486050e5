"""Closed months: each past calendar month's postings summed once, so that finance's
liability statement reads a row per month instead of the whole ledger.

Guarantees:

- a month is closed (``close_months``, a nightly job) once it ended at least
  ``CLOSE_AFTER`` before the job's ``as_of``; a posting's time is the moment it was posted,
  so no posting lands in a month that long over (the margin outlasts any transaction in
  flight when the month ended); the one exception, a job's bulk postings for an earlier
  day (an operator's run for a past ``as_of``), opens the months from that day on again
  (``reopen_months``), and the next run closes them anew;
- months are closed in order, every month from the one of the ledger's first posting on,
  months without postings included: the closed months of a zone are one unbroken run from
  the start of the ledger, so what was owed before any closed month's end is their sum;
- a closed month holds, per system account kind, the sum of that account's entries of the
  postings made in the month: what the statement would read from the entries
  (``closed_months_agree`` in the invariant checks compares them);
- months are those of the programme's time zone when closed; when the zone changes, the
  closings of the old zone are not used and the months are closed afresh for the new one;
- closing is idempotent: a second run, or a run racing it, closes nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unless_taken, is_postgres, local_day
from engine.orm.ledger import SYSTEM_ACCOUNTS, AccountRow, ClosedMonthRow, EntryRow, LedgerTransactionRow
from engine.programme import start_of_day
from engine.settings import read_settings

CLOSE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class CloseRun:
    """What one run of ``close_months`` did."""

    months: int  # months closed by this run
    through: str | None  # the last closed month afterwards ("2026-11"), None while none is


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_key(day: date) -> str:
    """How a month is named in closed months and statements: "2026-11"."""
    return day.strftime("%Y-%m")


def moved_by_period(session: Session, zone: str, *, since: datetime | None, until: datetime,
                    inclusive: bool, daily: bool = False) -> dict[tuple[str, str], int]:
    """The system accounts' entries summed per (month of ``zone``, ``YYYY-MM``, or with
    ``daily`` its day, ``YYYY-MM-DD``; account kind), for the postings made from ``since``
    (None: the beginning) to ``until`` (included or not)."""
    t, e, a = LedgerTransactionRow, EntryRow, AccountRow
    day = local_day(session, t.posted_at, zone)
    if is_postgres(session):
        period = sa.func.to_char(day, "YYYY-MM-DD" if daily else "YYYY-MM")
    else:  # SQLite's day is ISO text
        period = sa.func.substr(day, 1, 10 if daily else 7)
    query = (sa.select(period, a.kind, sa.func.sum(e.amount)).select_from(e)
             .join(t, t.id == e.transaction_id).join(a, a.id == e.account_id)
             .where(a.kind != "member", t.posted_at <= until if inclusive else t.posted_at < until))
    if since is not None:
        query = query.where(t.posted_at >= since)
    return {(p, kind): int(total) for p, kind, total in session.execute(query.group_by(period, a.kind))}


def closed_months(session: Session, zone: str, *, ending_by: datetime | None = None) -> list[ClosedMonthRow]:
    """The zone's closed months (those that ended by ``ending_by``), oldest first."""
    query = sa.select(ClosedMonthRow).where(ClosedMonthRow.zone == zone).order_by(ClosedMonthRow.starts_at)
    if ending_by is not None:
        query = query.where(ClosedMonthRow.ends_at <= ending_by)
    return list(session.scalars(query))


def close_months(db: Database, *, as_of: datetime) -> CloseRun:
    """Close every month of the programme's zone that ended ``CLOSE_AFTER`` before ``as_of``
    and is not closed yet, reading the ledger once for all of them."""
    with db.transaction() as session:
        zone_name = read_settings(session).timezone
        zone = ZoneInfo(zone_name)
        last = session.scalar(sa.select(sa.func.max(ClosedMonthRow.month)).where(ClosedMonthRow.zone == zone_name))
        if last is None:
            first_posted = session.scalar(sa.select(sa.func.min(LedgerTransactionRow.posted_at)))
            if first_posted is None:
                return CloseRun(0, None)
            first = first_posted.astimezone(zone).date().replace(day=1)
        else:
            first = _next_month(date.fromisoformat(last + "-01"))
        months, start = [], first
        while start_of_day(_next_month(start), zone) + CLOSE_AFTER <= as_of:
            months.append(start)
            start = _next_month(start)
        if not months:
            return CloseRun(0, last)
        since, until = start_of_day(first, zone), start_of_day(_next_month(months[-1]), zone)
        moved = moved_by_period(session, zone_name, since=since, until=until, inclusive=False)
        closed = 0
        for start in months:
            key = month_key(start)
            # a close racing this one (another as_of) may have closed the month meanwhile
            closed += insert_unless_taken(session, ClosedMonthRow.__table__, ["zone", "month"], {
                "zone": zone_name, "month": key, "starts_at": start_of_day(start, zone),
                "ends_at": start_of_day(_next_month(start), zone),
                **{kind: moved.get((key, kind), 0) for kind in SYSTEM_ACCOUNTS}}, ClosedMonthRow.month) is not None
        return CloseRun(closed, month_key(months[-1]))


def reopen_months(session: Session, posted_at: datetime) -> None:
    """Forget the closed months that end after ``posted_at``, for a posting made then."""
    session.execute(sa.delete(ClosedMonthRow).where(ClosedMonthRow.ends_at > posted_at))


def closed_months_agree(session: Session) -> list[str]:
    """Each closed month (of any zone) holds what its postings' entries sum to now."""
    problems = []
    for zone in session.scalars(sa.select(ClosedMonthRow.zone).distinct()):
        rows = closed_months(session, zone)
        moved = moved_by_period(session, zone, since=rows[0].starts_at, until=rows[-1].ends_at, inclusive=False)
        before = session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow)
                                .where(LedgerTransactionRow.posted_at < rows[0].starts_at))
        if before:
            problems.append(f"closed months of {zone}: {before} postings precede the first, {rows[0].month}")
        for row in rows:
            for kind in SYSTEM_ACCOUNTS:
                kept, now = getattr(row, kind), moved.get((row.month, kind), 0)
                if kept != now:
                    problems.append(f"closed month {row.month} of {zone}: {kind} {kept}, its entries sum to {now}")
        for previous, row in zip(rows, rows[1:]):
            if previous.ends_at != row.starts_at:
                problems.append(f"closed months of {zone}: a gap between {previous.month} and {row.month}")
    return problems
