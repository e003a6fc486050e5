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
  runs ``baseline_earn``: the engine's round trips for an accrual, in the same order and
  in one transaction, written as SQL by hand (the card with the account locked, read with
  the idempotency claim and the programme's revision; the member facts; the posting with
  the receipt, its lines, its base-rate award and the key's row with the answer in one
  statement: three since 2026-12-07, as the engine's, five before), keeping the
  configuration per connection as the engine keeps it per process. Its Python work uses
  the engine's pure functions (validation, points, checksum, fingerprint, answer), so the
  difference between the phases is what the engine spends on top of the SQL itself: the
  ORM, the session and the service code around them.

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
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from engine import cards, members, schema, stores
from engine.database import Database
from engine.errors import refuse_if
from engine.ledger.accounts import transaction_checksum
from engine.ledger.basket import BaseRateCalculator, Basket, BasketLine, EarningContext, validate_basket
from engine.ledger.commands import PointsEarned
from engine.ledger.earning import earn_points
from engine.ledger.idempotency import key_lock_id, request_fingerprint
from engine.ledger.invariants import check_ledger
from engine.plain import to_plain
from engine.programme import ProgrammeSettings, lot_expires_at
from engine.rules.awards import RuleAward
from engine.rules.outcome import BASE
from tests.support.postgres import PostgresCluster

STORE = "BENCH"
TERMINAL = "BENCH-T1"
LINES = tuple(BasketLine(line_no=n, sku=f"SKU{n}", quantity=Decimal(1), amount_minor=amount)
              for n, amount in enumerate((1299, 450, 2375), start=1))
WARMUP_PER_CLIENT = 5
WRITTEN_TABLES = ("idempotency_keys", "ledger_transactions", "ledger_entries", "lots", "receipts",
                  "receipt_lines", "receipt_rule_awards")


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

# Per connection, read again only when the programme's revision moves (as the engine's
# snapshot does per process): the settings, the till and the issuance account.
SELECT_SETTINGS = """SELECT id, name, points_name, currency, currency_exponent, timezone, earn_points,
earn_per_minor, pending_days, expiry_policy, expiry_months, expiry_rounding, negative_balance_policy,
redeem_points, redeem_value_minor, hold_timeout_minutes, idempotency_retention_days, updated_at
FROM programme_settings WHERE id = %s"""
SELECT_TILL = """SELECT s.id, s.timezone, t.id, t.status FROM stores s JOIN terminals t ON t.store_id = s.id
WHERE s.code = %s AND t.code = %s"""
SELECT_ISSUANCE = "SELECT id FROM accounts WHERE kind = 'issuance'"

# The engine's round trips, written by hand: the card, its member and the member's account
# (locked) with the idempotency key's claim; the member facts; the posting with the receipt
# and the key's row with the answer.
CARD_AND_CLAIM = """SELECT c.status, m.id, m.status, m.public_id, a.id, a.balance, a.debt,
       pg_try_advisory_xact_lock(%(lock)s), k.command, (SELECT revision FROM programme_revision WHERE id = 1)
FROM cards c JOIN members m ON m.id = c.member_id JOIN accounts a ON a.member_id = m.id
     LEFT JOIN idempotency_keys AS k ON k.caller = %(caller)s AND k.key = %(key)s
WHERE c.number = %(number)s FOR UPDATE OF a"""
MEMBER_FACTS = """SELECT 'attribute', name, value FROM member_attributes WHERE member_id = %(member)s
UNION ALL SELECT 'segment', s.code, NULL FROM segments s JOIN segment_members m ON m.segment_id = s.id
WHERE m.member_id = %(member)s
UNION ALL SELECT 'purchased', NULL, NULL WHERE EXISTS (SELECT 1 FROM receipts WHERE member_id = %(member)s)"""
PENDING_REFERRAL = "SELECT id FROM referrals WHERE referred_id = %s AND rewarded_at IS NULL FOR UPDATE"
POST = """WITH moved AS (UPDATE accounts SET balance = balance + %(points)s WHERE id = %(account)s),
posted AS (INSERT INTO ledger_transactions (kind, member_id, points, occurred_at, posted_at, description, actor,
                                            checksum)
           VALUES ('earn', %(member)s, %(points)s, %(at)s, %(now)s, %(description)s, NULL, %(checksum)s)
           RETURNING id),
lot AS (INSERT INTO lots (transaction_id, member_id, amount, remaining, reserved, earned_at, available_at, expires_at)
        SELECT id, %(member)s, %(points)s, %(points)s, 0, %(at)s, %(available_at)s, %(expires_at)s FROM posted),
entries AS (INSERT INTO ledger_entries (transaction_id, account_id, amount)
            SELECT id, %(account)s, %(points)s FROM posted UNION ALL SELECT id, %(issuance)s, -%(points)s FROM posted),
receipt AS (INSERT INTO receipts (store_id, terminal_id, receipt_number, member_id, occurred_at, currency,
                                  total_minor, paid_with_points_minor, points, transaction_id)
            SELECT %(store)s, %(terminal)s, %(receipt)s, %(member)s, %(at)s, %(currency)s, %(total)s, %(paid)s,
                   %(points)s, id FROM posted
            ON CONFLICT (store_id, terminal_id, receipt_number) DO NOTHING RETURNING id),
line AS (INSERT INTO receipt_lines (receipt_id, line_no, sku, category, brand, quantity, amount_minor,
                                    eligible_minor, points)
         SELECT receipt.id, l.* FROM receipt, json_to_recordset(CAST(%(lines)s AS JSON))
             AS l(line_no integer, sku varchar, category varchar, brand varchar, quantity numeric,
                  amount_minor bigint, eligible_minor bigint, points bigint)),
award AS (INSERT INTO receipt_rule_awards (receipt_id, member_id, rule_version_id, rule_key, campaign_code,
                                           local_date, desired, applied, capped_by, line_points)
          SELECT id, %(member)s, NULL, 'base', NULL, %(local_date)s, %(points)s, %(points)s, NULL,
                 CAST(%(award_lines)s AS JSON) FROM receipt),
answered AS (INSERT INTO idempotency_keys (caller, key, command, request_hash, outcome, response, created_at)
             VALUES (%(caller)s, %(key)s, 'earn', %(fingerprint)s, 'ok',
                     %(answer_head)s || (SELECT id FROM posted) || %(answer_tail)s, %(now)s)
             ON CONFLICT (caller, key) DO NOTHING RETURNING id)
SELECT (SELECT id FROM receipt), (SELECT id FROM posted), (SELECT id FROM answered)"""
# the answer's JSON is made before the statement; the transaction's id goes between its halves
PLACE_OF_ID = "\0the transaction's id"


@dataclass(frozen=True)
class TillConfiguration:
    revision: int
    settings: ProgrammeSettings
    store_id: int
    timezone: ZoneInfo
    terminal_id: int
    issuance: int


def baseline_earn(connection: psycopg.Connection, kept: dict, basket: Basket, *, caller: str, idempotency_key: str,
                  now: datetime) -> None:
    """``earn_points`` for a basket identified by card, in hand-written SQL: the same round
    trips, writing the same rows (the benchmark's baskets are valid and their receipts new,
    so every refusal is a failure here). ``kept`` holds the connection's configuration."""
    fingerprint = request_fingerprint("earn", basket)
    with connection.transaction(), connection.cursor() as cursor:
        (card_status, member_pk, member_status, public_id, account_id, balance, debt, claimed, command,
         revision) = cursor.execute(CARD_AND_CLAIM, {"lock": key_lock_id(caller, idempotency_key), "caller": caller,
                                                     "key": idempotency_key, "number": basket.card_number}).fetchone()
        _expect(claimed and command is None, f"idempotency key {idempotency_key} is new")
        _expect(card_status == member_status == "active", "card and member are active")
        if kept.get("configuration") is None or kept["configuration"].revision != revision:
            kept["configuration"] = _read_configuration(cursor, revision, basket)
        configuration = kept["configuration"]
        settings = configuration.settings
        refuse_if(validate_basket(basket, settings, now=now))
        facts = cursor.execute(MEMBER_FACTS, {"member": member_pk}).fetchall()
        if not any(kind == "purchased" for kind, _, _ in facts):
            _expect(cursor.execute(PENDING_REFERRAL, (member_pk,)).fetchone() is None, "no referral to reward")
        lines = BaseRateCalculator().points_for(basket, EarningContext(settings=settings, as_of=now))
        points = sum(line.points for line in lines)
        _expect(points > 0 and debt == 0, "the basket earns and the member owes nothing")
        available_at = basket.occurred_at + timedelta(days=settings.pending_days)
        expires_at = lot_expires_at(basket.occurred_at, settings)
        entries = [(account_id, points), (configuration.issuance, -points)]
        per_line = tuple((line.line_no, line.points) for line in lines)
        answer = to_plain(PointsEarned(
            member_id=public_id, store_code=basket.store_code, terminal_code=basket.terminal_code,
            receipt_number=basket.receipt_number, points=points, lines=lines, available_at=available_at,
            expires_at=expires_at, transaction_id=None, balance=balance + points,
            rules=[RuleAward(BASE, None, None, points, points, per_line)]))
        answer["transaction_id"] = PLACE_OF_ID
        answer_head, answer_tail = json.dumps(answer).split(json.dumps(PLACE_OF_ID))
        receipt_id, _transaction_id, answer_id = cursor.execute(POST, {
            "points": points, "account": account_id, "member": member_pk, "at": basket.occurred_at, "now": now,
            "description": f"purchase {basket.store_code}/{basket.terminal_code}/{basket.receipt_number}"[:200],
            "checksum": transaction_checksum("earn", member_pk, basket.occurred_at, entries),
            "available_at": available_at, "expires_at": expires_at, "issuance": configuration.issuance,
            "store": configuration.store_id, "terminal": configuration.terminal_id, "receipt": basket.receipt_number,
            "currency": basket.currency, "total": basket.total_minor, "paid": basket.paid_with_points_minor,
            "lines": json.dumps([{"line_no": line.line_no, "sku": line.sku, "category": line.category,
                                  "brand": line.brand, "quantity": str(line.quantity),
                                  "amount_minor": line.amount_minor, "eligible_minor": earned.eligible_minor,
                                  "points": earned.points} for line, earned in zip(basket.lines, lines)]),
            "local_date": basket.occurred_at.astimezone(configuration.timezone).date(),
            "award_lines": json.dumps([[line_no, p] for line_no, p in per_line if p]),
            "caller": caller, "key": idempotency_key, "fingerprint": fingerprint, "answer_head": answer_head,
            "answer_tail": answer_tail}).fetchone()
        _expect(receipt_id is not None and answer_id is not None, f"receipt {basket.receipt_number} is new")


def _read_configuration(cursor: psycopg.Cursor, revision: int, basket: Basket) -> TillConfiguration:
    with cursor.connection.cursor(row_factory=dict_row) as settings_cursor:
        row = settings_cursor.execute(SELECT_SETTINGS, (1,)).fetchone()
    settings = ProgrammeSettings() if row is None else ProgrammeSettings(
        **{name: row[name] for name in ProgrammeSettings.field_names()})
    store_id, timezone, terminal_id, terminal_status = cursor.execute(
        SELECT_TILL, (basket.store_code, basket.terminal_code)).fetchone()
    _expect(terminal_status == "active", "the terminal is active")
    issuance = cursor.execute(SELECT_ISSUANCE).fetchone()[0]
    return TillConfiguration(revision, settings, store_id, ZoneInfo(timezone), terminal_id, issuance)


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
        kept = {}  # the connection's configuration
        return lambda basket, now: baseline_earn(connection, kept, basket, caller=TERMINAL,
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


def parse_preset(argv: list[str] | None, description: str = __doc__) -> Preset:
    """The preset the command line asks for (``description``: the script's docstring)."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a few members, 2 clients, one round of ~2 s per kind")
    parser.add_argument("--clients", type=int, help=f"client threads (default {FULL.clients})")
    parser.add_argument("--seconds", type=float, help=f"timed seconds per kind, over all rounds (default {FULL.seconds:g})")
    parser.add_argument("--members", type=int, help=f"members with a card (default {FULL.members})")
    parser.add_argument("--rounds", type=int, help=f"rounds, each kind in turn (default {FULL.rounds})")
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
