"""Expiring points: due lots post their unreserved remainder to the expiry account.

Guarantees: a function of ``as_of`` only; lots are never deleted (their ``remaining`` goes
down to what holds reserve and one ``expire`` transaction per member, dated ``as_of``,
records how much and, through its lot allocations, from which lots, and is a
``points.expired`` webhook event named by it); reserved points are never expired; running
it twice for the same ``as_of`` expires nothing the second time.

The work is set-based SQL over ranges of members (``CHUNK_MEMBERS`` member ids per
transaction), never a loop per member: each range locks the accounts it touches (in
account id order), then posts all its transactions, entries, allocations, lot and
balance changes in a handful of statements. On PostgreSQL ``WORKERS`` ranges run at once,
each in its own transaction and connection (ranges share no member, and each locks its
own accounts in order, so they never wait on each other). ``expiring_points`` is the policy in plain
Python (which lots are due and how many points each gives); the SQL predicate
``DUE_SQL`` says the same, and the tests compare the two on small data.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.database import Database, json_object
from engine.ledger import bulk
from engine.orm.types import UTCDateTime
from engine.webhooks import instant_text, record_events_selected

CHUNK_MEMBERS = 100_000
WORKERS = 2  # ranges expired at once on PostgreSQL (the bulk statements are CPU-bound in the server)
DUE_SQL = "l.expires_at <= :as_of AND l.remaining > l.reserved"


@dataclass(frozen=True)
class ExpiryRun:
    members: int
    lots: int
    points: int


@dataclass(frozen=True)
class LotState:
    """What the expiry policy looks at in a lot."""

    lot_id: int
    remaining: int
    reserved: int
    expires_at: datetime | None


def expiring_points(lots: Iterable[LotState], as_of: datetime) -> dict[int, int]:
    """The policy: lot id -> points that expire at ``as_of`` (the unreserved remainder of
    every lot whose expiry instant is at or before ``as_of``)."""
    return {lot.lot_id: lot.remaining - lot.reserved for lot in lots
            if lot.expires_at is not None and lot.expires_at <= as_of and lot.remaining > lot.reserved}


def expire_lots(db: Database, *, as_of: datetime,
                progress: Callable[[int, int], None] | None = None) -> ExpiryRun:
    """Expire every lot due at ``as_of``; returns how many members, lots and points.

    ``progress(done, total)`` is called after each range of members is committed."""
    when = sa.bindparam("as_of", as_of, type_=UTCDateTime())
    with db.transaction() as session:
        low, high = session.execute(sa.text(f"SELECT MIN(l.member_id), MAX(l.member_id) FROM lots l WHERE {DUE_SQL}")
                                    .bindparams(when)).one()
    if low is None:
        return ExpiryRun(0, 0, 0)
    starts = range(low, high + 1, CHUNK_MEMBERS)

    def expire_range(start: int) -> tuple[int, int, int]:
        with db.transaction() as session:
            return _expire_range(session, as_of, start, start + CHUNK_MEMBERS - 1)

    members = lots = points = 0
    with ThreadPoolExecutor(max_workers=1 if db.is_sqlite else WORKERS) as pool:
        for done, finished in enumerate(as_completed([pool.submit(expire_range, s) for s in starts]), start=1):
            m, n, p = finished.result()
            members, lots, points = members + m, lots + n, points + p
            if progress is not None:
                progress(done, len(starts))
    return ExpiryRun(members=members, lots=lots, points=points)


def expire_now(session, member_pks: Iterable[int], as_of: datetime) -> None:
    """Expire at ``as_of``, in the caller's transaction, what is due of these members' lots:
    points a hold held past their lot's expiry and gave back (voided, lapsed, captured in
    part), which the nightly run before had to leave, are taken when they come back, not a
    night later."""
    for pk in sorted(set(member_pks)):
        _expire_range(session, as_of, pk, pk)


def _expire_range(session, as_of: datetime, low: int, high: int) -> tuple[int, int, int]:
    bulk.prepare(session)
    params = {"low": low, "high": high}
    when = sa.bindparam("as_of", as_of, type_=UTCDateTime())
    in_range = "l.member_id BETWEEN :low AND :high"
    bulk.lock_accounts(session, f"SELECT l.member_id FROM lots l WHERE {in_range} AND {DUE_SQL}",
                       {**params, "as_of": as_of})
    bulk.work_table(session, "expiry_due", "lot_id BIGINT, member_id BIGINT, points BIGINT")
    session.execute(sa.text(
        "INSERT INTO expiry_due (lot_id, member_id, points) "
        f"SELECT l.id, l.member_id, l.remaining - l.reserved FROM lots l WHERE {in_range} AND {DUE_SQL}")
        .bindparams(when), params)
    bulk.analyze(session, "expiry_due")
    bulk.work_table(session, "expiry_members", "member_id BIGINT, account_id BIGINT, points BIGINT, "
                                               "transaction_id BIGINT")
    session.execute(sa.text(
        "INSERT INTO expiry_members (member_id, account_id, points) "
        "SELECT d.member_id, a.id, -SUM(d.points) FROM expiry_due d JOIN accounts a ON a.member_id = d.member_id "
        "GROUP BY d.member_id, a.id"))
    bulk.analyze(session, "expiry_members")
    members, lots, points = session.execute(sa.text(
        "SELECT (SELECT COUNT(*) FROM expiry_members), COUNT(*), COALESCE(SUM(points), 0) FROM expiry_due")).one()
    if not members:
        return 0, 0, 0
    bulk.post_member_transactions(session, work="expiry_members", kind="expire", system_account="expiry",
                                  occurred_at=as_of,
                                  description_sql="CAST(-w.points AS TEXT) || ' points expired'")
    session.execute(sa.text(
        "INSERT INTO lot_allocations (transaction_id, lot_id, amount) "
        "SELECT m.transaction_id, d.lot_id, d.points FROM expiry_due d JOIN expiry_members m "
        "ON m.member_id = d.member_id"))
    session.execute(sa.text("UPDATE lots SET remaining = reserved WHERE id IN (SELECT lot_id FROM expiry_due)"))
    record_events_selected(
        session, "points.expired", event_id="'evt_expire_' || CAST(w.transaction_id AS TEXT)",
        data=f"{json_object(session)}('member_id', m.public_id, 'points', -w.points, "
             "'at', CAST(:as_of_text AS TEXT), 'transaction_id', w.transaction_id)",
        rows="FROM expiry_members w JOIN members m ON m.id = w.member_id",
        binds=[sa.bindparam("as_of_text", instant_text(as_of))], now=as_of)
    return int(members), int(lots), int(points)
