"""API accrual benchmark: signed accruals per second through gunicorn, against a baseline
endpoint doing one trivial database query, on the same server configuration.

What is measured: ``POST /v1/terminal/accruals`` as a till sends it — signed with the
terminal's key, with an Idempotency-Key, a realistic 6-line basket of mixed categories, our
card named with the card session it opened (challenge answered with the card's AES-CMAC)
— through authentication, the published earning rules (the demo's: base rate, weekend
coffee, first purchase, birthday, gold boost, a summer campaign whose budget lasts the
run), the ledger and the demo's tiers (each accrual checks whether the member qualifies for
a higher one). Each member has made one purchase before, so the timed accruals are repeat
purchases. Every sale is dated the last Wednesday at noon UTC (sent now, as from a till that
was offline; the programme takes such sales up to 8 days back): which rules fire depends on
the weekday and the hour, and the work must not change with the day the benchmark runs.
The baseline is ``GET /health/ready`` (one query for the schema revision), same server,
same client. A third kind, the floor, is the bare accrual that the reference measurements
behind the bar measured (``bare_accrual_app.py``: Flask and SQLAlchemy, four statements, no
authentication, rules or idempotency), served by gunicorn with the same workers and threads
on the same cluster: what this machine gives the simplest accrual at the hour of the run.
Reported: requests per second, p50 and p99 latency of each, and the CPU time per request of
gunicorn (with its workers) and of PostgreSQL (with its backends). The kinds alternate in
``--rounds`` rounds (4 by default, ``--seconds`` of each kind in all), so that they see the
machine alike when its speed drifts; each kind's figures pool its rounds.

How: the script starts its own durable PostgreSQL cluster (fsync and synchronous_commit
on), migrates it, creates the stores, terminals, keys, members and cards, opens the card
sessions, then serves the app with ``loyalty serve`` (gunicorn's gthread workers, the
production command; ``--workers``/``--threads``) on 127.0.0.1. The load comes from wrk (C, 2 threads, ``--clients`` keep-alive
connections) on the same machine: it competes with the server for the 2 cores, but costs
far less than a Python client would, so the figures are the server's. Every accrual wrk
sends was prepared and signed by this script just before its phase (a fresh receipt and
Idempotency-Key each, sent once; see wrk_load.lua); the terminal clock window
(LOYALTY_TERMINAL_CLOCK_SKEW) is the default 60 s. Latencies are wrk's. Afterwards every
answer must have been 2xx, the receipts must match the answers (up to the requests still
in flight when wrk stopped) and the ledger check must be clean; otherwise the script
exits non-zero. Everything it started is stopped, also on failure. The last line printed is

    RESULT api_accrual rps=... p50_ms=... p99_ms=... baseline_rps=... ratio=... app_cpu_ms=... db_cpu_ms=...
        floor_rps=... floor_ratio=...

(one line; ``floor_ratio`` is the accruals' rate over the floor's).

    .venv/bin/python -m tests.bench.api_accrual [--tiny] [--seconds S] [--clients C] [--workers W] [--threads T]
"""
from __future__ import annotations

import argparse
import bisect
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from engine import cards, schema, stores
from engine.access.terminal_keys import issue_terminal_key
from engine.card_auth import issue_card_challenge, open_card_session
from engine.card_keys import MasterKeys, card_answer
from engine.database import Database
from engine.demo import DEMO_RULES, DEMO_TIER_POLICY, DEMO_TIERS
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.members import enrol_member
from engine.orm.ledger import ReceiptRow
from engine.rules import campaigns, versions
from engine.settings import update_settings
from engine.tiers.service import define_tiers, review_tiers
from tests.bench import bare_accrual_app
from tests.support.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
WRK_THREADS = 2
WARM_UP_REQUESTS = 6000
# A handful of tills carries the load of hundreds: each over a real till's rate, so their
# limit is raised (the limit's check still runs on every request)
BENCH_RATE_LIMITS = "terminal=1000000/s"
BENCH_SUMMER_BUDGET = 100_000_000  # a million sales
EARLIER = "EARLIER-"  # receipt numbers of the purchases members made before the benchmark
BASKET = [("COFFEE-BEANS", "coffee", "LAVAZZA", "1", 1899), ("CROISSANT", "bakery", None, "2", 380),
          ("MILK-1L", "dairy", "WEIHENSTEPHAN", "2", 298), ("APPLES", "produce", None, "1.250", 374),
          ("CHOCOLATE", "sweets", "RITTER", "3", 657), ("NEWSPAPER", "press", None, "1", 350)]


def last_wednesday_noon(now: datetime) -> datetime:
    """The latest Wednesday 12:00 UTC at least an hour before ``now``."""
    noon = (now - timedelta(hours=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    while noon > now - timedelta(hours=1) or noon.weekday() != 2:
        noon -= timedelta(days=1)
    return noon


def signed(secret: str, key_id: str, method: str, path: str, body: bytes, idempotency_key: str,
           at: datetime | None = None) -> dict:
    stamp = str(int(at.timestamp() if at else time.time()))
    message = "\n".join([method, path, stamp, idempotency_key, hashlib.sha256(body).hexdigest()])
    return {"X-Loyalty-Key": key_id, "X-Loyalty-Timestamp": stamp, "Idempotency-Key": idempotency_key,
            "X-Loyalty-Signature": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def prepare(db: Database, *, members: int, keys: MasterKeys, tills: int, at: datetime | None = None,
            sessions_at: datetime | None = None) -> list[dict]:
    """Stores, one terminal per client connection, members with cards and one earlier
    purchase each, as of ``at`` (default: now), and card sessions opened at ``sessions_at``
    (default: ``at``)."""
    now = at or datetime.now(UTC)
    # the sales are dated the last Wednesday, up to a week back, as from a till that was offline
    update_settings(db, {"offline_max_age_hours": 8 * 24}, now=now)
    stores.create_store(db, code="BER-01", name="Berlin", timezone="Europe/Berlin", group="CITY", now=now)
    # The demo's campaign, with a budget that lasts the run: every timed sale claims 100 points
    # of it. (The demo's million ran out after some 10,000 sales; from then on each such sale
    # was written twice until 2026-12-07, and after that it asks the spent budget for nothing.)
    campaigns.create_campaign(db, code="summer", name="Summer", starts_at=now - timedelta(days=1),
                              ends_at=now + timedelta(days=60), budget=BENCH_SUMMER_BUDGET, now=now)
    # every accrual checks for an upgrade; defined before the rules that name the tiers
    define_tiers(db, DEMO_TIERS, DEMO_TIER_POLICY, now=now)
    for rule in DEMO_RULES:
        versions.create_draft(db, rule, now=now)
    versions.publish_rules(db, [rule["key"] for rule in DEMO_RULES], now=now - timedelta(minutes=1))
    terminals = []
    for t in range(tills):
        code = f"BER-01-T{t}"
        stores.create_terminal(db, code=code, store_code="BER-01", now=now)
        key = issue_terminal_key(db, code, now=now)
        terminals.append({"terminal": code, "key_id": key.key_id, "secret": key.secret, "cards": []})
    enrolled = []
    for n in range(members):
        member = enrol_member(db, full_name=f"Member {n}", now=now)
        enrolled.append(member.public_id)
        card = cards.issue_card(db, member_id=member.public_id, kind="applet", key_version=1, now=now)
        cards.activate_card(db, card.number, now=now)
        till = terminals[n % tills]
        tapped = sessions_at or now
        challenge = issue_card_challenge(db, terminal_code=till["terminal"], card_number=card.number, now=tapped)
        answer = card_answer(keys.card_key(1, card.number), challenge.challenge)
        session = open_card_session(db, terminal_code=till["terminal"], challenge_id=challenge.challenge_id,
                                    answer=answer, keys=keys, now=tapped)
        till["cards"].append((card.number, session.token))
    review_tiers(db, as_of=now)  # members start in the lowest tier
    # One earlier purchase each, so that the timed accruals are repeat purchases: a member's
    # first-purchase bonus (and the upgrade it brings) happens once in a lifetime.
    lines = tuple(BasketLine(i + 1, sku, Decimal(quantity), amount, category, brand)
                  for i, (sku, category, brand, quantity, amount) in enumerate(BASKET))
    for n, member_id in enumerate(enrolled):
        basket = Basket("BER-01", terminals[n % tills]["terminal"], f"{EARLIER}{n}", now, "EUR", lines,
                        member_id=member_id)
        earn_points(db, basket, caller="benchmark", idempotency_key=f"earlier-{n}", now=now)
    return terminals


def accrual_request(till: dict, n: int, at: datetime | None = None, sold_at: datetime | None = None) -> str:
    """One signed accrual of ``till`` as a line of the wrk script's request files, signed
    ``at`` (default: now) and sold ``sold_at`` (default: when signed)."""
    number, session = till["cards"][n % len(till["cards"])]
    path = "/v1/terminal/accruals"
    body = json.dumps({
        "store_code": "BER-01", "terminal_code": till["terminal"],
        "receipt_number": f"{till['terminal']}-{uuid.uuid4().hex[:12]}",
        "occurred_at": (sold_at or at or datetime.now(UTC)).isoformat(timespec="seconds"), "currency": "EUR",
        "card_number": number, "card_session": session,
        "lines": [{"line_no": i + 1, "sku": sku, "category": category, "brand": brand, "quantity": quantity,
                   "amount_minor": amount} for i, (sku, category, brand, quantity, amount) in enumerate(BASKET)],
    }, separators=(",", ":"))
    headers = signed(till["secret"], till["key_id"], "POST", path, body.encode(), str(uuid.uuid4()), at)
    return "\t".join(["POST", path, *(x for pair in headers.items() for x in pair), body])


def write_requests(folder: Path, tills: list[dict], count: int, threads: int, sold_at: datetime) -> str:
    """``count`` fresh signed accruals of sales at ``sold_at`` spread over the tills, in one
    file per wrk thread; returns the files' prefix. They are signed now: they must be sent
    within the clock window."""
    prefix = str(folder / f"requests-{uuid.uuid4().hex[:8]}-")
    files = [open(f"{prefix}{t + 1}", "w") for t in range(threads)]
    try:
        for n in range(count):
            files[n % threads].write(accrual_request(tills[n % len(tills)], n // len(tills), sold_at=sold_at)
                                     + "\n")
    finally:
        for file in files:
            file.close()
    return prefix


def load(port: int, path: str, connections: int, seconds: float, requests_prefix: str | None = None,
         method: str = "GET") -> dict:
    """wrk on ``connections`` keep-alive connections (2 threads) for ``seconds``: requests/s,
    p50 and p99 (as wrk measures them), errors. Without ``requests_prefix`` every request is
    ``method`` ``path`` without a body."""
    env = {**os.environ, "REQUESTS_PREFIX": requests_prefix or "", "REQUEST_METHOD": method}
    finished = subprocess.run(["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds:g}s",
                               "--timeout", "30s", "-s", str(Path(__file__).with_name("wrk_load.lua")),
                               f"http://127.0.0.1:{port}{path}"],
                              env=env, capture_output=True, text=True, timeout=seconds + 120, check=True)
    summary = json.loads(finished.stdout.strip().splitlines()[-1])
    elapsed = summary["duration_us"] / 1e6
    return {"rps": summary["requests"] / elapsed, "p50_ms": summary["p50_us"] / 1000,
            "p99_ms": summary["p99_us"] / 1000, "count": summary["requests"], "seconds": elapsed,
            "per_mille_ms": [c / 1000 for c in summary["per_mille_us"]],
            "errors": {k: summary[k] for k in ("status_errors", "socket_errors", "timeouts", "exhausted")
                       if summary[k]}}


def pooled(phases: list[dict]) -> dict:
    """Several phases of one kind as one: requests per second over their time together, and
    p50 and p99 of their latencies pooled (each phase's latency at every 0.1 % of its requests,
    weighted by its number of requests)."""
    count, seconds = sum(p["count"] for p in phases), sum(p["seconds"] for p in phases)
    weighted = sorted((c, p["count"] / 1000) for p in phases for c in p["per_mille_ms"])
    # Each value stands for its share of the requests; it sits at the middle of that share.
    positions, seen = [], 0.0
    for _, weight in weighted:
        positions.append((seen + weight / 2) / count * 100)
        seen += weight

    def percentile(q: float) -> float:
        after = bisect.bisect_left(positions, q)
        if after == 0 or after == len(positions):
            return weighted[min(after, len(positions) - 1)][0]
        (low, _), (high, _) = weighted[after - 1], weighted[after]
        share = (q - positions[after - 1]) / (positions[after] - positions[after - 1])
        return low + share * (high - low)
    errors: dict = {}
    for phase in phases:
        for kind, n in phase["errors"].items():
            errors[kind] = errors.get(kind, 0) + n
    cpu_ms = {f"{name}_cpu_ms": 1000 * sum(p[f"{name}_cpu_s"] for p in phases) / count
              for name in ("app", "db") if f"{name}_cpu_s" in phases[0]}
    return {"rps": count / seconds, "p50_ms": percentile(50), "p99_ms": percentile(99), "count": count,
            "errors": errors, **cpu_ms}


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user and system) used so far by a process and its descendants alive now
    (gunicorn and its workers; PostgreSQL's postmaster and its backends)."""
    parents, used = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            pid = int(entry.name)
            parents[pid], used[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    family, grown = {root_pid}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grown = bool(more)
    return sum(used.get(pid, 0) for pid in family) / os.sysconf("SC_CLK_TCK")


def measured(processes: dict[str, int], phase) -> dict:
    """Run ``phase`` (a load) and add to its result the CPU seconds each of ``processes``
    (name: root pid) used meanwhile, as ``<name>_cpu_s``."""
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    result = phase()
    for name, pid in processes.items():
        result[f"{name}_cpu_s"] = cpu_seconds(pid) - before[name]
    return result


def _per_request(phase: dict) -> str:
    """A phase's CPU per request: gunicorn's + PostgreSQL's, in ms."""
    return " + ".join(f"{1000 * phase[f'{name}_cpu_s'] / max(phase['count'], 1):.2f}" for name in ("app", "db")) + " ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, keys_text: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "LOYALTY_DATABASE_URL": url, "LOYALTY_CARD_MASTER_KEYS": keys_text,
           "LOYALTY_LOG_LEVEL": "WARNING", "LOYALTY_RATE_LIMITS": BENCH_RATE_LIMITS}
    # the production command (``loyalty serve``: gunicorn's threaded workers, metrics shared
    # by the workers), so that the benchmark measures what the service runs
    server = subprocess.Popen([sys.executable, "-m", "cli", "--database-url", url, "serve",
                               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return answering(server, port, "GET", "/health/ready", 200, "gunicorn")


def serve_floor(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    """The bare accrual (``bare_accrual_app``) under gunicorn with the API's worker settings."""
    from cli.serve import KEEPALIVE_S, WORKER_CLASS

    bare_accrual_app.create_schema(url)
    env = {**os.environ, "BARE_ACCRUAL_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--worker-class", WORKER_CLASS, "--threads", str(threads),
                               "--keep-alive", str(KEEPALIVE_S), "--log-level", "warning",
                               "tests.bench.bare_accrual_app:served_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return answering(server, port, "POST", "/accrue", 201, "the floor's gunicorn")


def answering(server: subprocess.Popen, port: int, method: str, path: str, status: int,
              what: str) -> subprocess.Popen:
    """``server`` once ``method path`` answers ``status`` on ``port`` (within a minute; else it
    is stopped and RuntimeError raised)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request(method, path)
            if connection.getresponse().status == status:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"{what} did not become ready")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="2 s per phase, few members")
    parser.add_argument("--seconds", type=float, default=20.0, help="per kind, over all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="alternating accrual and baseline phases")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.tiny:
        args.seconds, args.rounds, args.clients, args.members = 2.0, 1, 2, 20
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so everything stops
    keys = MasterKeys({1: os.urandom(16)})
    keys_text = f"1:{keys.by_version[1].hex()}"
    cluster = PostgresCluster(durable=True)
    server = floor_server = None
    try:
        cluster.start()
        url = cluster.create_database("bench")
        db = Database(url)
        schema.upgrade(db)
        sold_at = last_wednesday_noon(datetime.now(UTC))
        # the cards tapped just before their sales (a card session vouches for no sale long before its tap)
        tills = prepare(db, members=args.members, keys=keys, tills=args.clients, at=sold_at,
                        sessions_at=sold_at - timedelta(minutes=1))
        port = free_port()
        server = serve(url, keys_text, port, args.workers, args.threads)
        floor_port = free_port()
        floor_server = serve_floor(cluster.create_database("floor"), floor_port, args.workers, args.threads)
        folder = Path(cluster.root)
        warm_seconds = min(2.0, args.seconds)
        warm_up = load(port, "/v1/terminal/accruals", args.clients, warm_seconds,
                       write_requests(folder, tills, WARM_UP_REQUESTS, WRK_THREADS, sold_at))  # connections, caches
        # The phases alternate, so that both kinds see the machine alike (on a shared machine
        # its speed drifts within a minute). Each accrual phase gets fresh requests, enough
        # for three times the fastest pace seen so far (each is sent once).
        load(floor_port, "/accrue", args.clients, warm_seconds, method="POST")
        accrual_phases, baseline_phases, floor_phases = [], [], []
        postgres = int((cluster.data / "postmaster.pid").read_text().split()[0])
        processes, floor_processes = {"app": server.pid, "db": postgres}, {"app": floor_server.pid, "db": postgres}
        phase_seconds = args.seconds / args.rounds
        for _ in range(args.rounds):
            pace = max([warm_up["rps"]] + [phase["rps"] for phase in accrual_phases])
            enough = max(1500, int(3 * pace * phase_seconds))
            requests = write_requests(folder, tills, enough, WRK_THREADS, sold_at)
            accrual_phases.append(measured(processes, lambda: load(
                port, "/v1/terminal/accruals", args.clients, phase_seconds, requests)))
            baseline_phases.append(measured(processes, lambda: load(
                port, "/health/ready", args.clients, phase_seconds)))
            floor_phases.append(measured(floor_processes, lambda: load(
                floor_port, "/accrue", args.clients, phase_seconds, method="POST")))
        accruals, baseline, floor = pooled(accrual_phases), pooled(baseline_phases), pooled(floor_phases)
        with db.transaction() as session:
            receipts = session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)
                                      .where(ReceiptRow.receipt_number.not_like(f"{EARLIER}%")))
        problems = check_ledger(db)
        db.dispose()
    finally:
        for running in (server, floor_server):
            if running is not None:
                running.terminate()
                running.wait(timeout=30)
        cluster.stop()
    print(f"server: loyalty serve (gunicorn gthread), {args.workers} workers x {args.threads} threads; "
          f"load: wrk, {WRK_THREADS} threads, {args.clients} keep-alive connections; {args.rounds} rounds of "
          f"{phase_seconds:g} s accruals, {phase_seconds:g} s baseline, {phase_seconds:g} s floor")
    # each round's CPU per request too: a round whose accruals cost more while its baseline
    # does not is the workload changing, not the machine (as when a campaign's budget ran out)
    for n, (accrual, base, bare) in enumerate(zip(accrual_phases, baseline_phases, floor_phases), 1):
        print(f"  round {n}: accruals {accrual['rps']:.1f}/s (p99 {accrual['p99_ms']:.1f} ms, "
              f"CPU {_per_request(accrual)}), baseline {base['rps']:.1f}/s (CPU {_per_request(base)}), "
              f"floor {bare['rps']:.1f}/s (CPU {_per_request(bare)}): ratio {accrual['rps'] / base['rps']:.3f}, "
              f"to the floor {accrual['rps'] / bare['rps']:.3f}")
    print(f"accruals: {accruals['rps']:.1f}/s p50 {accruals['p50_ms']:.1f} ms p99 {accruals['p99_ms']:.1f} ms "
          f"({accruals['count']} answered) errors {accruals['errors'] or 'none'}")
    print(f"baseline (GET /health/ready): {baseline['rps']:.1f}/s p50 {baseline['p50_ms']:.1f} ms "
          f"p99 {baseline['p99_ms']:.1f} ms errors {baseline['errors'] or 'none'}")
    print(f"floor (bare accrual, four statements): {floor['rps']:.1f}/s p50 {floor['p50_ms']:.1f} ms "
          f"p99 {floor['p99_ms']:.1f} ms errors {floor['errors'] or 'none'}")
    print(f"CPU per request (gunicorn and its workers / PostgreSQL): accrual {accruals['app_cpu_ms']:.2f} / "
          f"{accruals['db_cpu_ms']:.2f} ms, baseline {baseline['app_cpu_ms']:.2f} / {baseline['db_cpu_ms']:.2f} ms, "
          f"floor {floor['app_cpu_ms']:.2f} / {floor['db_cpu_ms']:.2f} ms")
    failures = []
    for name, phase in (("warm-up", warm_up), ("accruals", accruals), ("baseline", baseline), ("floor", floor)):
        if phase["errors"]:
            failures.append(f"{name}: {phase['errors']}")
    answered = warm_up["count"] + accruals["count"]
    # wrk stops counting at the deadline; requests in flight then still complete on the server.
    in_flight = (1 + args.rounds) * args.clients
    if not answered <= receipts <= answered + in_flight:
        failures.append(f"{answered} accruals answered 201 but {receipts} receipts exist")
    if problems:
        failures.append(f"ledger check: {len(problems)} problems, e.g. {problems[:3]}")
    if failures:
        sys.exit("; ".join(failures))
    print(f"receipts in the database: {receipts} for {answered} answers (warm-up and timed; at most "
          f"{in_flight} more were in flight at the deadlines); ledger sound")
    print(f"RESULT api_accrual rps={accruals['rps']:.1f} p50_ms={accruals['p50_ms']:.1f} "
          f"p99_ms={accruals['p99_ms']:.1f} baseline_rps={baseline['rps']:.1f} "
          f"ratio={accruals['rps'] / baseline['rps']:.3f} app_cpu_ms={accruals['app_cpu_ms']:.2f} "
          f"db_cpu_ms={accruals['db_cpu_ms']:.2f} floor_rps={floor['rps']:.1f} "
          f"floor_ratio={accruals['rps'] / floor['rps']:.3f}")


if __name__ == "__main__":
    main()
