"""Member import benchmark: moving an old programme's members over from a CSV file.

What is measured, on a durable PostgreSQL: reading and checking a CSV file of N members
(default 100,000; names, e-mails, birthdays, consents, enrolment dates, opening points for
nine in ten and the UID of an old card for half), then importing it (``import_members``:
every member, account, attribute, card and opening posting with its lot, in one
transaction); and, as the baseline in the same run,
enrolling members one by one with ``enrol_member`` (the path a sign-up form takes, one
transaction each; opening points not included) for a sample of them. Afterwards the ledger
check must be clean and every member and card must be there. The last line printed is

    RESULT member_import members=... read_s=... import_s=... members_per_s=... enrol_per_s=... ratio=...

Run from the repository root:

    .venv/bin/python -m tests.bench.member_import [--tiny] [--members N]
"""
from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from engine import schema
from engine.database import Database
from engine.ledger.invariants import check_ledger
from engine.member_import import import_members, read_members_csv
from engine.members import enrol_member
from engine.settings import get_settings
from tests.support.postgres import PostgresCluster

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
SAMPLE = 2000  # members enrolled one by one for the baseline


def source(count: int, seed: int = 5) -> str:
    """A CSV file as an old system would export it."""
    pick = random.Random(seed)
    lines = ["full_name,email,phone,birthday,marketing_email,enrolled_at,opening_points,card_uid,reference"]
    for n in range(count):
        birthday = date(1950, 1, 1) + timedelta(days=pick.randint(0, 20000))
        enrolled = date(2015, 1, 1) + timedelta(days=pick.randint(0, 3900))
        points = pick.randint(1, 20000) if pick.random() < 0.9 else 0
        card_uid = f"04{n:012X}" if n % 2 else ""  # 7 bytes
        lines.append(f"Member {n},member{n}@example.org,+49 30 {pick.randint(1000000, 9999999)},{birthday},"
                     f"{pick.choice(['yes', 'no'])},{enrolled},{points},{card_uid},C-{n}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a quick run that checks the script works")
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args(argv)
    count, sample = (500, 100) if args.tiny else (args.members, SAMPLE)
    if count < 1:
        parser.error("import at least one member")
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so the cluster stops
    cluster = PostgresCluster(durable=True, settings={"shared_buffers": "256MB", "work_mem": "64MB",
                                                      "max_wal_size": "4GB"})
    try:
        cluster.start()
        db = Database(cluster.create_database("bench_import"))
        schema.upgrade(db)
        text = source(count)
        started = time.perf_counter()
        rows = read_members_csv(text, now=NOW, timezone=get_settings(db).timezone)
        read_s = time.perf_counter() - started
        print(f"read and checked {len(rows):,} rows ({len(text) / 1e6:.1f} MB) in {read_s:.2f} s", flush=True)
        started = time.perf_counter()
        done = import_members(db, rows, caller="bench", idempotency_key="import", now=NOW)
        import_s = time.perf_counter() - started
        print(f"imported {done.members:,} members with {done.points:,} opening points in {import_s:.2f} s",
              flush=True)
        started = time.perf_counter()
        for n in range(sample):
            enrol_member(db, full_name=f"Enrolled {n}", email=f"enrolled{n}@example.org", phone="+49 30 1234567",
                         birthday=date(1980, 1, 1), consents={"marketing_email": True}, now=NOW)
        enrol_s = time.perf_counter() - started
        print(f"enrolled {sample:,} members one by one in {enrol_s:.2f} s", flush=True)
        problems = check_ledger(db)
        with db.transaction() as session:
            members = session.scalar(sa.text("SELECT COUNT(*) FROM members"))
            cards = session.scalar(sa.text("SELECT COUNT(*) FROM cards WHERE kind = 'uid' AND status = 'active'"))
        print(f"check_ledger: {'clean' if not problems else problems[:10]}; {members:,} members, {cards:,} cards",
              flush=True)
        db.dispose()
    finally:
        cluster.stop()
    if problems or members != count + sample or cards != count // 2:
        sys.exit("the benchmark's result is wrong (see above)")
    rate, baseline = count / import_s, sample / enrol_s
    print(f"RESULT member_import members={count} read_s={read_s:.2f} import_s={import_s:.2f} "
          f"members_per_s={rate:.0f} enrol_per_s={baseline:.0f} ratio={rate / baseline:.1f}")


if __name__ == "__main__":
    main()
