"""Scheduled jobs benchmark: expire every due lot and review every member's tier, set-based,
on a durable PostgreSQL.

Data (generated with set-based SQL, not through the services): N members (default
1,000,000), each with one earning (a receipt with one line, its earn transaction and two
entries, checksums computed as the engine does) split into 5 lots (5 N lots) whose expiry
dates are spread so about a quarter are due; every member holds one of four tiers and
is due for review. Timed: ``expire_lots`` for the as_of, then ``review_tiers`` for it, then
the customer-value scores (``score_customers``: RFM quintiles and value classes of every
member, each with one purchase in the year, one in 20 brought back in full and one in 20
half, and their lifecycle stages), and once more as
the next night would, with nothing changed; then a points grant of 100 points to a segment
of every member (its approval: a posting and a lot per member, a chunk of members per
transaction), while a till sells to random members every 20 ms (how long its sales wait is
what chunking is for); and
the reports read from the whole ledger: the liability statement of 12 months (its last
closing must equal the members' balances), the nightly closing of the months ended 40 days
later and the statement then (read from the closed months: the months both show must
agree), and the dashboard.
Then ``check_ledger`` must find nothing; otherwise the script exits non-zero. The last
line printed is

    RESULT jobs expire_s=... tier_review_s=... customer_value_s=... customer_value_again_s=... grant_s=...
                grant_till_p99_ms=... grant_till_max_ms=... statement_s=... close_months_s=...
                statement_closed_ms=... dashboard_s=... members=... lots=...
                expired_lots=...

Run from the repository root:

    .venv/bin/python -m tests.bench.jobs [--tiny] [--members N]
"""
from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from engine import reports, schema, stores
from engine.database import Database
from engine.rules.customer_value import score_customers
from engine.ledger import bulk
from engine.ledger.accounts import system_account_ids
from engine.ledger.closed_months import close_months
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.expiry import expire_lots
from engine.ledger.invariants import check_ledger
from engine.orm.types import UTCDateTime
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, request_grant
from engine.rules.segments import create_segment
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, review_tiers
from tests.support.postgres import PostgresCluster

AS_OF = datetime(2027, 1, 1, tzinfo=UTC)
EARNED_AT = AS_OF - timedelta(days=100)
LOTS_PER_MEMBER = 5
LATER_DAYS = 40  # when the liability statement is read again, its months closed
TIERS = [TierDefinition("BASIC", "Basic", 0), TierDefinition("SILVER", "Silver", 300, Decimal("1.25")),
         TierDefinition("GOLD", "Gold", 600, Decimal("1.5")), TierDefinition("PLATINUM", "Platinum", 900, Decimal(2))]


def generate(db: Database, members: int) -> None:
    """Members, accounts, earnings, lots and tier states, in a few INSERT ... SELECT statements."""
    now = AS_OF - timedelta(days=400)
    stores.create_store(db, code="B1", name="Bench", timezone="UTC", now=now)
    stores.create_terminal(db, code="B1-T1", store_code="B1", now=now)
    define_tiers(db, TIERS, TierPolicy(), now=now)
    at = sa.bindparam("at", EARNED_AT, type_=UTCDateTime())
    due = sa.bindparam("due", AS_OF, type_=UTCDateTime())
    with db.transaction() as session:
        issuance = system_account_ids(session)["issuance"]
        store, terminal = session.execute(sa.text("SELECT s.id, t.id FROM stores s JOIN terminals t "
                                                  "ON t.store_id = s.id")).one()
        steps = [
            ("members", "INSERT INTO members (public_id, status, enrolled_at, created_at, tier_code) "
                        "SELECT 'B' || g, 'active', :at, :at, (ARRAY['BASIC','SILVER','GOLD','PLATINUM'])[1 + g % 4] "
                        "FROM generate_series(1, :n) g", (at,)),
            ("accounts", "INSERT INTO accounts (code, kind, member_id, balance, debt) "
                         "SELECT 'member:' || m.public_id, 'member', m.id, 0, 0 FROM members m", ()),
            ("work", "CREATE TEMP TABLE bench_earn AS SELECT m.id AS member_id, a.id AS account_id, "
                     f"(SELECT SUM(100 + (m.id + k) % 150) FROM generate_series(1, {LOTS_PER_MEMBER}) k) AS points, "
                     "NULL::bigint AS transaction_id FROM members m JOIN accounts a ON a.member_id = m.id", ()),
        ]
        for label, sql, binds in steps:
            started = time.perf_counter()
            session.execute(sa.text(sql).bindparams(*binds), {"n": members})
            print(f"  generated {label} in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        checksum = bulk.checksum_sql(session, kind="earn", member_pk="w.member_id", account_id="w.account_id",
                                     member_points="w.points", system_account_id=issuance, occurred_at=EARNED_AT)
        session.execute(sa.text(
            "INSERT INTO ledger_transactions (kind, member_id, points, occurred_at, posted_at, description, checksum) "
            f"SELECT 'earn', w.member_id, w.points, :at, :at, 'bench purchase', {checksum} FROM bench_earn w")
            .bindparams(at))
        session.execute(sa.text("UPDATE bench_earn w SET transaction_id = t.id FROM ledger_transactions t "
                                "WHERE t.member_id = w.member_id AND t.kind = 'earn'"))
        session.execute(sa.text(
            "INSERT INTO ledger_entries (transaction_id, account_id, amount) "
            f"SELECT transaction_id, account_id, points FROM bench_earn UNION ALL "
            f"SELECT transaction_id, {issuance}, -points FROM bench_earn"))
        session.execute(sa.text("UPDATE accounts a SET balance = w.points FROM bench_earn w WHERE a.id = w.account_id"))
        print(f"  generated transactions and entries in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        session.execute(sa.text(
            "INSERT INTO receipts (store_id, terminal_id, receipt_number, member_id, occurred_at, currency, "
            "total_minor, paid_with_points_minor, points, transaction_id) "
            f"SELECT {store}, {terminal}, 'R' || w.member_id, w.member_id, :at, 'EUR', w.points * 100, 0, w.points, "
            "w.transaction_id FROM bench_earn w").bindparams(at))
        session.execute(sa.text(
            "INSERT INTO receipt_lines (receipt_id, line_no, sku, quantity, amount_minor, eligible_minor, points) "
            "SELECT r.id, 1, 'SKU', 1, r.total_minor, r.total_minor, r.points FROM receipts r"))
        # one member in 20 brought the purchase back in full a day later, one in 20 half of it
        session.execute(sa.text(
            "INSERT INTO refunds (receipt_id, occurred_at, amount_minor, points_reversed, points_returned, "
            "points_written_off, debt_created) SELECT r.id, :at + interval '1 day', "
            "CASE WHEN r.member_id % 20 = 0 THEN r.total_minor ELSE r.total_minor / 2 END, 0, 0, 0, 0 "
            "FROM receipts r WHERE r.member_id % 20 IN (0, 1)").bindparams(at))
        session.execute(sa.text(
            "INSERT INTO refund_lines (refund_id, receipt_line_id, quantity, amount_minor, points) "
            "SELECT f.id, l.id, CASE WHEN f.amount_minor = l.amount_minor THEN 1 ELSE 0.5 END, f.amount_minor, 0 "
            "FROM refunds f JOIN receipt_lines l ON l.receipt_id = f.receipt_id"))
        print(f"  generated receipts and refunds in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        # lot k of a member expires (member * 7 + k * 13) % 100 - 25 days after the as_of: about 1 in 4 is due
        session.execute(sa.text(
            "INSERT INTO lots (member_id, transaction_id, amount, remaining, reserved, earned_at, available_at, "
            "expires_at) SELECT w.member_id, w.transaction_id, 100 + (w.member_id + k) % 150, "
            "100 + (w.member_id + k) % 150, 0, :at, :at, "
            ":due + make_interval(days => ((w.member_id * 7 + k * 13) % 100 - 25)::int) "
            f"FROM bench_earn w CROSS JOIN generate_series(1, {LOTS_PER_MEMBER}) k").bindparams(at, due))
        print(f"  generated lots in {time.perf_counter() - started:.1f} s", flush=True)
        session.execute(sa.text(
            "INSERT INTO member_tiers (member_id, tier_code, since, review_due_at) "
            "SELECT m.id, m.tier_code, :at, :due FROM members m").bindparams(at, due))
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))


def report_slow_statements(db: Database, seconds: float) -> None:
    """Print every statement slower than ``seconds`` (where the time of a job goes)."""
    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    @sa.event.listens_for(db.engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("started", time.perf_counter())
        if took >= seconds:
            print(f"    {took:6.1f} s  {' '.join(statement.split())[:110]}", flush=True)


class TillSelling(threading.Thread):
    """A till selling to random members of the benchmark, one sale every 20 ms, until
    stopped; how long each sale took (ms)."""

    def __init__(self, db: Database, members: int):
        super().__init__(daemon=True)
        self.db, self.members, self.waits = db, members, []
        self.stopping, self.failed = threading.Event(), []
        self.began, self.slowest_at = time.perf_counter(), 0.0  # when the slowest sale started (s after began)

    def run(self) -> None:
        pick = random.Random(1206)
        while not self.stopping.wait(0.02):
            basket = Basket("B1", "B1-T1", f"till-{len(self.waits)}", AS_OF, "EUR",
                            (BasketLine(1, "SKU", Decimal(1), 1000),), member_id=f"B{pick.randint(1, self.members)}")
            started = time.perf_counter()
            try:
                earn_points(self.db, basket, caller="B1-T1", idempotency_key=basket.receipt_number, now=AS_OF)
            except Exception as error:  # reported with the result
                self.failed.append(repr(error))
            self.waits.append((time.perf_counter() - started) * 1000)
            if self.waits[-1] >= max(self.waits):
                self.slowest_at = started - self.began

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def percentile(self, share: int) -> float:
        ordered = sorted(self.waits) or [0.0]
        return ordered[min(len(ordered) - 1, len(ordered) * share // 100)]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="2,000 members (a smoke test)")
    parser.add_argument("--members", type=int, default=1_000_000, help="members (default 1,000,000)")
    parser.add_argument("--slow", type=float, help="print the timed statements slower than this many seconds")
    args = parser.parse_args(argv)
    if args.tiny:
        args.members = 2_000
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so the cluster stops
    cluster = PostgresCluster(durable=True, settings={"shared_buffers": "256MB", "work_mem": "64MB",
                                                      "maintenance_work_mem": "256MB", "max_wal_size": "4GB"})
    try:
        cluster.start()
        db = Database(cluster.create_database("bench_jobs"))
        schema.upgrade(db)
        started = time.perf_counter()
        print(f"generating {args.members} members and {args.members * LOTS_PER_MEMBER} lots", flush=True)
        generate(db, args.members)
        print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
        if args.slow is not None:
            report_slow_statements(db, args.slow)
        started = time.perf_counter()
        expired = expire_lots(db, as_of=AS_OF, progress=lambda done, total: print(
            f"  expire: range {done}/{total}", flush=True))
        expire_s = time.perf_counter() - started
        print(f"expired {expired.points} points from {expired.lots} lots of {expired.members} members "
              f"in {expire_s:.1f} s", flush=True)
        started = time.perf_counter()
        reviewed = review_tiers(db, as_of=AS_OF)
        review_s = time.perf_counter() - started
        print(f"reviewed {reviewed} in {review_s:.1f} s", flush=True)
        started = time.perf_counter()
        scored = score_customers(db, as_of=AS_OF)
        value_s = time.perf_counter() - started
        print(f"scored customer value {scored} in {value_s:.1f} s", flush=True)
        started = time.perf_counter()
        again = score_customers(db, as_of=AS_OF)  # the next night, nothing changed: nothing rewritten
        again_s = time.perf_counter() - started
        print(f"scored again {again} in {again_s:.1f} s", flush=True)
        create_segment(db, code="everyone", predicate={"attributes": {"lifecycle_stage": ["first_purchase", "new"]}},
                       now=AS_OF)
        asked = request_grant(db, GrantPoints("everyone", 100, "benchmark grant", "anna"), caller="bench",
                              idempotency_key="grant-ask", now=AS_OF)
        till = TillSelling(db, args.members)
        till.start()
        started = time.perf_counter()
        granted = decide_grant(db, DecideGrant(asked.grant_id, True, "ben"), caller="bench",
                               idempotency_key="grant-approve", now=AS_OF)
        grant_s = time.perf_counter() - started
        till.stop()
        print(f"granted {granted.points} points to {granted.members} members in {grant_s:.1f} s; meanwhile a till "
              f"sold to its members {len(till.waits)} times, waiting {till.percentile(50):.0f} ms (p50), "
              f"{till.percentile(99):.0f} ms (p99), {till.percentile(100):.0f} ms at most (a sale {till.slowest_at:.1f} s "
              f"in)", flush=True)
        started = time.perf_counter()
        statement = reports.liability_statement(db, as_of=AS_OF, months=12)
        statement_s = time.perf_counter() - started
        print(f"liability statement of 12 months in {statement_s:.1f} s: closing {statement[-1].closing:,}",
              flush=True)
        # a month and more later, once the nightly job has closed the months up to it
        later = AS_OF + timedelta(days=LATER_DAYS)
        started = time.perf_counter()
        closing = close_months(db, as_of=later)
        close_s = time.perf_counter() - started
        print(f"closed {closing.months} months through {closing.through} in {close_s:.1f} s", flush=True)
        started = time.perf_counter()
        statement_later = reports.liability_statement(db, as_of=later, months=12)
        statement_closed_s = time.perf_counter() - started
        print(f"liability statement of 12 months {LATER_DAYS} days later, from the closed months, in "
              f"{statement_closed_s * 1000:.0f} ms: closing {statement_later[-1].closing:,}", flush=True)
        started = time.perf_counter()
        reports.dashboard(db, as_of=AS_OF, days=30)
        dashboard_s = time.perf_counter() - started
        print(f"dashboard in {dashboard_s:.1f} s", flush=True)
        with db.transaction() as session:
            owed = session.scalar(sa.text("SELECT SUM(balance) FROM accounts WHERE kind = 'member'"))
        started = time.perf_counter()
        problems = check_ledger(db)
        if till.failed:
            print(f"the till's sales failed: {till.failed[:3]}", flush=True)
        print(f"check_ledger: {'clean' if not problems else problems[:10]} ({time.perf_counter() - started:.1f} s)",
              flush=True)
        db.dispose()
    finally:
        cluster.stop()
    returned = args.members // 20  # their one purchase brought back in full: no purchase at all
    if problems or expired.lots == 0 or reviewed["members"] != args.members \
            or scored["members"] != args.members - returned or again != scored \
            or scored["stage_first_purchase"] != args.members - returned or scored["stage_new"] != returned \
            or granted.members != args.members or till.failed \
            or statement[-1].closing != owed or statement_later[-1].closing != owed \
            or [replace(month, closed=False) for month in statement_later[:-1]] != statement[1:]:
        sys.exit("the benchmark's result is wrong (see above)")
    print(f"RESULT jobs expire_s={expire_s:.2f} tier_review_s={review_s:.2f} customer_value_s={value_s:.2f} "
          f"customer_value_again_s={again_s:.2f} grant_s={grant_s:.2f} grant_till_p99_ms={till.percentile(99):.0f} "
          f"grant_till_max_ms={till.percentile(100):.0f} statement_s={statement_s:.2f} close_months_s={close_s:.2f} "
          f"statement_closed_ms={statement_closed_s * 1000:.0f} "
          f"dashboard_s={dashboard_s:.2f} members={args.members} lots={args.members * LOTS_PER_MEMBER} "
          f"expired_lots={expired.lots}")


if __name__ == "__main__":
    main()
