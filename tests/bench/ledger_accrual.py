"""Ledger accrual benchmark: accruals per second through the engine, against hand-written SQL.

What is measured: ``earn_points`` for 3-line baskets identified by card, each with its own
receipt number and idempotency key, sent by C client threads (default 8) for a fixed time,
with the members spread over the clients (each client has members of its own). Reported:
accruals per second, p50/p99 latency of one accrual, and the CPU time of this process (all
threads, ``time.process_time``) per accrual; the server's CPU is not in it.

How: the script starts its own durable PostgreSQL cluster (fsync and synchronous_commit
on) and always stops it. It migrates two databases and sets up the same store, terminal
and members with active cards in each through the engine's services.

- engine phase: the C clients share one ``Database`` whose pool holds C connections;
- baseline phase: each client has its own psycopg connection (the engine's driver) and
  runs ``baseline_earn``: the statements the engine issues for an accrual, in the same
  order and in one transaction, written as SQL by hand. Its Python
  work uses the engine's pure functions (validation, points, checksum, fingerprint,
  answer), so the difference between the phases is what the engine spends on top of
  the SQL itself: the ORM, the session and the service code around them.

The phases alternate in R rounds (default 4: engine, baseline, engine, ...), each round
1/R of the time, so that both see the machine alike: on a shared machine the speed drifts
by tens of percent within a minute, which made one engine phase followed by one baseline
phase give ratios from 0.42 to 0.69 on the same code. Every round's figures are printed;
the result pools the rounds. Each kind's first round starts with a few untimed accruals
per client (connections, statement caches). Afterwards the ledger invariants must hold in
both databases and both must hold the same rows per accrual; otherwise the script exits
non-zero. The last line printed is

    RESULT ledger_accrual engine_tps=... baseline_tps=... ratio=... engine_p50_ms=...
    engine_p99_ms=... cpu_ms_per_accrual=... clients=... rounds=...

(on one line). Run from the repository root:

    .venv/bin/python -m tests.bench.ledger_accrual [--tiny] [--clients C] [--seconds S] [--members N] [--rounds R]
"""
from __future__ import annotations

import argparse
import itertools
import json
import signal
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row

from engine import cards, members, schema, stores
from engine.database import Database
from engine.errors import refuse_if
from engine.ledger.accounts import transaction_checksum
from engine.ledger.basket import BaseRateCalculator, Basket, BasketLine, EarningContext, validate_basket
from engine.ledger.commands import PointsEarned
from engine.ledger.earning import earn_points
from engine.ledger.idempotency import request_fingerprint
from engine.ledger.invariants import check_ledger
from engine.plain import to_plain
from engine.programme import ProgrammeSettings, lot_expires_at
from tests.support.postgres import PostgresCluster

STORE = "BENCH"
TERMINAL = "BENCH-T1"
LINES = tuple(BasketLine(line_no=n, sku=f"SKU{n}", quantity=Decimal(1), amount_minor=amount)
              for n, amount in enumerate((1299, 450, 2375), start=1))
WARMUP_PER_CLIENT = 5
WRITTEN_TABLES = ("idempotency_keys", "ledger_transactions", "ledger_entries", "lots", "receipts",
                  "receipt_lines")


@dataclass(frozen=True)
class Preset:
    clients: int
    seconds: float  # per kind, over all rounds
    members: int
    rounds: int


FULL = Preset(clients=8, seconds=20, members=200, rounds=4)
TINY = Preset(clients=2, seconds=1.5, members=4, rounds=1)

Accrue = Callable[[Basket, datetime], None]


# -- the hand-written baseline --------------------------------------------------------------

CLAIM_KEY = """INSERT INTO idempotency_keys (caller, key, command, request_hash, created_at)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (caller, key) DO NOTHING RETURNING id"""
SELECT_SETTINGS = """SELECT id, name, points_name, currency, currency_exponent, timezone, earn_points,
earn_per_minor, pending_days, expiry_policy, expiry_months, expiry_rounding, negative_balance_policy,
redeem_points, redeem_value_minor, hold_timeout_minutes, idempotency_retention_days, updated_at
FROM programme_settings WHERE id = %s"""
SELECT_STORE = "SELECT id, code, name, timezone, group_code, created_at FROM stores WHERE code = %s"
SELECT_TERMINAL = """SELECT t.id, t.status, t.code, t.store_id, t.name, t.created_at, s.id, s.code, s.name,
s.timezone, s.group_code, s.created_at
FROM terminals t LEFT OUTER JOIN stores s ON s.id = t.store_id WHERE t.code = %s AND t.store_id = %s"""
SELECT_CARD = """SELECT c.status, m.id, m.status, m.public_id, c.id, c.number, c.kind, c.key_version,
c.member_id, c.block_reason, c.replaced_by_id, c.issued_at, c.status_changed_at, p.member_id, p.full_name,
p.email, p.phone, p.birthday, p.consent_marketing_email, p.consent_marketing_sms, p.consent_profiling,
p.consents_updated_at, m.enrolled_at, m.created_at
FROM cards c LEFT OUTER JOIN members m ON m.id = c.member_id
LEFT OUTER JOIN member_profiles p ON m.id = p.member_id WHERE c.number = %s"""
LOCK_ACCOUNT = "SELECT id, balance, debt, code, kind, member_id FROM accounts WHERE member_id = %s FOR UPDATE"
SELECT_RECEIPT = "SELECT id FROM receipts WHERE store_id = %s AND terminal_id = %s AND receipt_number = %s"
SELECT_SYSTEM_ACCOUNTS = """SELECT kind, id FROM accounts
WHERE kind IN ('issuance', 'redemption', 'expiry', 'adjustment')"""
INSERT_TRANSACTION = """INSERT INTO ledger_transactions
(kind, member_id, points, occurred_at, posted_at, description, actor, checksum)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"""
UPDATE_BALANCE = "UPDATE accounts SET balance = %s WHERE id = %s"
INSERT_ENTRIES = """INSERT INTO ledger_entries (transaction_id, account_id, amount)
VALUES (%s, %s, %s), (%s, %s, %s) RETURNING id"""
INSERT_LOT = """INSERT INTO lots
(member_id, transaction_id, amount, remaining, reserved, earned_at, available_at, expires_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"""
INSERT_RECEIPT = """INSERT INTO receipts (store_id, terminal_id, receipt_number, member_id, occurred_at,
currency, total_minor, paid_with_points_minor, points, transaction_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"""
INSERT_RECEIPT_LINES = """INSERT INTO receipt_lines
(receipt_id, line_no, sku, category, brand, quantity, amount_minor, eligible_minor, points) VALUES """
RECORD_ANSWER = "UPDATE idempotency_keys SET outcome = %s, response = %s WHERE caller = %s AND key = %s"


def baseline_earn(connection: psycopg.Connection, basket: Basket, *, caller: str, idempotency_key: str,
                  now: datetime) -> None:
    """``earn_points`` for a basket identified by card, in hand-written SQL: the same
    statements in the same order, writing the same rows (the benchmark's baskets are
    valid and their receipts new, so every refusal is a failure here)."""
    fingerprint = request_fingerprint("earn", basket)
    with connection.transaction(), connection.cursor() as cursor:
        claimed = cursor.execute(CLAIM_KEY, (caller, idempotency_key, "earn", fingerprint, now)).fetchone()
        _expect(claimed is not None, f"idempotency key {idempotency_key} is new")
        with connection.transaction():
            result = _earn(cursor, basket, now)
        cursor.execute(RECORD_ANSWER, ("ok", json.dumps(to_plain(result)), caller, idempotency_key))


def _earn(cursor: psycopg.Cursor, basket: Basket, now: datetime) -> PointsEarned:
    settings = _read_settings(cursor)
    refuse_if(validate_basket(basket, settings, now=now))
    store_id, store_code = cursor.execute(SELECT_STORE, (basket.store_code,)).fetchone()[:2]
    terminal_id, terminal_status, terminal_code = cursor.execute(
        SELECT_TERMINAL, (basket.terminal_code, store_id)).fetchone()[:3]
    card_status, member_pk, member_status, public_id = cursor.execute(
        SELECT_CARD, (basket.card_number,)).fetchone()[:4]
    _expect(terminal_status == card_status == member_status == "active", "terminal, card and member are active")
    account_id, balance, debt = cursor.execute(LOCK_ACCOUNT, (member_pk,)).fetchone()[:3]
    receipt_key = (store_id, terminal_id, basket.receipt_number)
    _expect(cursor.execute(SELECT_RECEIPT, receipt_key).fetchone() is None, f"receipt {receipt_key} is new")
    lines = BaseRateCalculator().points_for(basket, EarningContext(settings=settings, as_of=now))
    points = sum(line.points for line in lines)
    _expect(points > 0 and debt == 0, "the basket earns and the member owes nothing")
    available_at = basket.occurred_at + timedelta(days=settings.pending_days)
    expires_at = lot_expires_at(basket.occurred_at, settings)
    issuance = dict(cursor.execute(SELECT_SYSTEM_ACCOUNTS).fetchall())["issuance"]
    entries = [(account_id, points), (issuance, -points)]
    description = f"purchase {basket.store_code}/{basket.terminal_code}/{basket.receipt_number}"[:200]
    transaction_id = cursor.execute(INSERT_TRANSACTION, (
        "earn", member_pk, points, basket.occurred_at, now, description, None,
        transaction_checksum("earn", member_pk, basket.occurred_at, entries))).fetchone()[0]
    cursor.execute(UPDATE_BALANCE, (balance + points, account_id))
    cursor.execute(INSERT_ENTRIES, [v for account, amount in entries for v in (transaction_id, account, amount)])
    cursor.fetchall()
    cursor.execute(INSERT_LOT, (member_pk, transaction_id, points, points, 0, basket.occurred_at,
                                available_at, expires_at))
    receipt_id = cursor.execute(INSERT_RECEIPT, (
        store_id, terminal_id, basket.receipt_number, member_pk, basket.occurred_at, basket.currency,
        basket.total_minor, basket.paid_with_points_minor, points, transaction_id)).fetchone()[0]
    _insert_receipt_lines(cursor, receipt_id, basket, lines)
    return PointsEarned(member_id=public_id, store_code=store_code, terminal_code=terminal_code,
                        receipt_number=basket.receipt_number, points=points, lines=lines,
                        available_at=available_at, expires_at=expires_at, transaction_id=transaction_id,
                        balance=balance + points)


def _read_settings(cursor: psycopg.Cursor) -> ProgrammeSettings:
    with cursor.connection.cursor(row_factory=dict_row) as settings_cursor:
        row = settings_cursor.execute(SELECT_SETTINGS, (1,)).fetchone()
    if row is None:
        return ProgrammeSettings()
    return ProgrammeSettings(**{name: row[name] for name in ProgrammeSettings.field_names()})


def _insert_receipt_lines(cursor: psycopg.Cursor, receipt_id: int, basket: Basket, lines) -> None:
    values = [(receipt_id, line.line_no, line.sku, line.category, line.brand, line.quantity,
               line.amount_minor, earned.eligible_minor, earned.points)
              for line, earned in zip(basket.lines, lines)]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(values))
    cursor.execute(INSERT_RECEIPT_LINES + placeholders + " RETURNING id", [v for row in values for v in row])
    cursor.fetchall()


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(f"baseline: expected {what}")


# -- clients and measurements ---------------------------------------------------------------

class Till:
    """One client: a till selling to its own members, one new receipt after another."""

    def __init__(self, index: int, card_numbers: list[str]):
        self.index = index
        self.card_numbers = card_numbers
        self.sales = itertools.count()

    def next_basket(self, now: datetime) -> Basket:
        sale = next(self.sales)
        return Basket(store_code=STORE, terminal_code=TERMINAL, receipt_number=f"R{self.index}-{sale}",
                      occurred_at=now, currency="EUR", lines=LINES,
                      card_number=self.card_numbers[sale % len(self.card_numbers)])


@dataclass(frozen=True)
class Measurement:
    accruals: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]

    @property
    def tps(self) -> float:
        return self.accruals / self.seconds

    def latency_ms(self, percent: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1] * 1000

    @property
    def cpu_ms_per_accrual(self) -> float:
        return self.cpu_seconds / self.accruals * 1000


def measure(accruers: list[Accrue], tills: list[Till], seconds: float, *, warm_up: bool) -> Measurement:
    """Client ``i`` runs ``accruers[i]`` on the baskets of ``tills[i]``: with ``warm_up`` a
    few untimed accruals each first, then as many as it can in ``seconds``."""
    stop = threading.Event()  # an interrupted run (Ctrl-C, SIGTERM) stops its clients at once
    with ThreadPoolExecutor(len(tills)) as pool:
        def run_clients(**limit) -> list[list[float]]:
            return list(pool.map(lambda i: accrue_many(accruers[i], tills[i], stop, **limit), range(len(tills))))
        try:
            if warm_up:
                run_clients(count=WARMUP_PER_CLIENT)
            cpu_start, start = time.process_time(), time.perf_counter()
            runs = run_clients(until=start + seconds)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        finally:
            stop.set()
    latencies = [latency for run in runs for latency in run]
    return Measurement(accruals=len(latencies), seconds=elapsed, cpu_seconds=cpu, latencies=latencies)


def pooled(rounds: list[Measurement]) -> Measurement:
    """The rounds of one kind as one measurement."""
    return Measurement(accruals=sum(m.accruals for m in rounds), seconds=sum(m.seconds for m in rounds),
                       cpu_seconds=sum(m.cpu_seconds for m in rounds),
                       latencies=[latency for m in rounds for latency in m.latencies])


def accrue_many(accrue: Accrue, till: Till, stop: threading.Event, *, count: int | None = None,
                until: float | None = None) -> list[float]:
    """Accrue ``count`` baskets, or until the clock reads ``until``; the latency of each."""
    latencies = []
    while len(latencies) != count and (until is None or time.perf_counter() < until) and not stop.is_set():
        now = datetime.now(UTC)
        basket = till.next_basket(now)
        started = time.perf_counter()
        accrue(basket, now)
        latencies.append(time.perf_counter() - started)
    return latencies


def engine_accruers(db: Database, clients: int) -> list[Accrue]:
    def accrue(basket: Basket, now: datetime) -> None:
        earn_points(db, basket, caller=TERMINAL, idempotency_key=str(uuid.uuid4()), now=now)
    return [accrue] * clients


def baseline_accruers(connections: list[psycopg.Connection]) -> list[Accrue]:
    def accruer(connection: psycopg.Connection) -> Accrue:
        return lambda basket, now: baseline_earn(connection, basket, caller=TERMINAL,
                                                 idempotency_key=str(uuid.uuid4()), now=now)
    return [accruer(connection) for connection in connections]


# -- databases ------------------------------------------------------------------------------

def prepare_database(cluster: PostgresCluster, name: str, *, members_count: int, clients: int) -> Database:
    """A migrated database with the benchmark's store, terminal and members with active cards."""
    db = Database(cluster.create_database(name), pool_size=clients)
    schema.upgrade(db)
    now = datetime.now(UTC)
    stores.create_store(db, code=STORE, name="Benchmark store", timezone="Europe/Berlin", now=now)
    stores.create_terminal(db, code=TERMINAL, store_code=STORE, now=now)
    for n in range(members_count):
        member = members.enrol_member(db, full_name=f"Member {n}", now=now)
        card = cards.issue_card(db, member_id=member.public_id, now=now)
        cards.activate_card(db, card.number, now=now)
    return db


def make_tills(db: Database, clients: int) -> list[Till]:
    """The clients, each with its own share of the members' cards."""
    numbers = [card.number for card in cards.list_cards(db)]
    return [Till(index, numbers[index::clients]) for index in range(clients)]


def rows_per_accrual(db: Database, accruals: int) -> dict[str, float]:
    with db.engine.connect() as connection:
        return {table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one() / accruals
                for table in WRITTEN_TABLES}


def verify(db: Database, accruals: int, what: str) -> dict[str, float]:
    """The ledger invariants hold in ``db``; its rows per accrual, for comparison."""
    problems = check_ledger(db)
    if problems:
        sys.exit(f"{what}: the ledger check found {len(problems)} problems:\n" + "\n".join(problems[:20]))
    return rows_per_accrual(db, accruals)


def psycopg_conninfo(db: Database) -> str:
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


# -- the run --------------------------------------------------------------------------------

@dataclass
class Kind:
    """One side of the comparison: its database, clients, and the measurement of each round."""

    name: str
    db: Database
    accruers: list[Accrue]
    tills: list[Till]
    rounds: list[Measurement]

    def run_round(self, seconds: float) -> None:
        self.rounds.append(measure(self.accruers, self.tills, seconds, warm_up=not self.rounds))

    def verified_rows(self, clients: int) -> dict[str, float]:
        return verify(self.db, pooled(self.rounds).accruals + WARMUP_PER_CLIENT * clients, self.name)


def run(cluster: PostgresCluster, preset: Preset) -> tuple[Kind, Kind, dict[str, float]]:
    """Both kinds' rounds, alternating; the ledgers verified and written alike (their rows
    per accrual)."""
    with ExitStack() as stack:
        def database(name: str) -> Database:
            db = prepare_database(cluster, name, members_count=preset.members, clients=preset.clients)
            stack.callback(db.dispose)
            return db
        engine_db, baseline_db = database("bench_engine"), database("bench_baseline")
        connections = [stack.enter_context(psycopg.connect(psycopg_conninfo(baseline_db), autocommit=True))
                       for _ in range(preset.clients)]
        engine = Kind("engine", engine_db, engine_accruers(engine_db, preset.clients),
                      make_tills(engine_db, preset.clients), [])
        baseline = Kind("baseline", baseline_db, baseline_accruers(connections),
                        make_tills(baseline_db, preset.clients), [])
        for _ in range(preset.rounds):
            for kind in (engine, baseline):
                kind.run_round(preset.seconds / preset.rounds)
        engine_rows, baseline_rows = engine.verified_rows(preset.clients), baseline.verified_rows(preset.clients)
    if engine_rows != baseline_rows:
        sys.exit(f"the phases wrote different rows per accrual: engine {engine_rows}, baseline {baseline_rows}")
    return engine, baseline, engine_rows


def report(preset: Preset, engine_kind: Kind, baseline_kind: Kind, rows: dict[str, float]) -> None:
    print(f"ledger accrual: {preset.clients} clients, {preset.members} members, {preset.rounds} x "
          f"{preset.seconds / preset.rounds:g} s per kind (alternating), {len(LINES)}-line baskets, durable PostgreSQL")
    for n, (e, b) in enumerate(zip(engine_kind.rounds, baseline_kind.rounds), 1):
        print(f"  round {n}: engine {e.tps:7.1f}/s ({e.cpu_ms_per_accrual:.2f} ms cpu), "
              f"baseline {b.tps:7.1f}/s ({b.cpu_ms_per_accrual:.2f} ms cpu): ratio {e.tps / b.tps:.3f}")
    engine, baseline = pooled(engine_kind.rounds), pooled(baseline_kind.rounds)
    for name, m in (("engine", engine), ("baseline", baseline)):
        print(f"{name:9} {m.accruals:6d} accruals in {m.seconds:5.1f} s: {m.tps:7.1f}/s  "
              f"p50 {m.latency_ms(50):6.2f} ms  p99 {m.latency_ms(99):6.2f} ms  "
              f"cpu {m.cpu_ms_per_accrual:5.2f} ms/accrual")
    print("rows per accrual (both): " + ", ".join(f"{table} {count:g}" for table, count in rows.items()))
    ratio = engine.tps / baseline.tps
    print(f"engine/baseline: {ratio:.3f}")
    print(f"RESULT ledger_accrual engine_tps={engine.tps:.1f} baseline_tps={baseline.tps:.1f} ratio={ratio:.3f} "
          f"engine_p50_ms={engine.latency_ms(50):.2f} engine_p99_ms={engine.latency_ms(99):.2f} "
          f"cpu_ms_per_accrual={engine.cpu_ms_per_accrual:.2f} clients={preset.clients} rounds={preset.rounds}")


def parse_preset(argv: list[str] | None) -> Preset:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a few members, 2 clients, one round of ~2 s per kind")
    parser.add_argument("--clients", type=int, help=f"client threads (default {FULL.clients})")
    parser.add_argument("--seconds", type=float, help=f"timed seconds per kind, over all rounds (default {FULL.seconds:g})")
    parser.add_argument("--members", type=int, help=f"members with a card (default {FULL.members})")
    parser.add_argument("--rounds", type=int, help=f"alternating engine and baseline rounds (default {FULL.rounds})")
    args = vars(parser.parse_args(argv))
    preset = replace(TINY if args.pop("tiny") else FULL,
                     **{name: value for name, value in args.items() if value is not None})
    if preset.clients < 1 or preset.members < preset.clients or preset.seconds <= 0 or preset.rounds < 1:
        parser.error("need at least one client, at least one member per client, a positive duration and a round")
    return preset


def main(argv: list[str] | None = None) -> None:
    preset = parse_preset(argv)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so the cluster stops
    cluster = PostgresCluster(durable=True)
    try:
        cluster.start()
        report(preset, *run(cluster, preset))
    finally:
        cluster.stop()

if __name__ == "__main__":
    main()
