"""API accrual benchmark: signed accruals per second through gunicorn, against a baseline
endpoint doing one trivial database query, on the same server configuration.

What is measured: ``POST /v1/terminal/accruals`` as a till sends it — signed with the
terminal's key, with an Idempotency-Key, a realistic 6-line basket of mixed categories, our
card named with the card session it opened (challenge answered with the card's AES-CMAC)
— through authentication, the published earning rules (the demo's: base rate, weekend
coffee, first purchase, birthday, gold boost, a budgeted summer campaign) and the ledger.
The baseline is ``GET /health/ready`` (one query for the schema revision), same server,
same client. Reported: requests per second, p50 and p99 latency of each.

How: the script starts its own durable PostgreSQL cluster (fsync and synchronous_commit
on), migrates it, creates the stores, terminals, keys, members and cards, opens the card
sessions, then serves the app with gunicorn (gthread workers; ``--workers``/``--threads``)
on 127.0.0.1. The load comes from ``--clients`` keep-alive HTTP connections spread over
two client processes on the same machine (it competes with the server for the 2 cores:
figures are lower bounds). The terminal clock window (LOYALTY_TERMINAL_CLOCK_SKEW) is the
default 60 s: every request is signed when it is sent. Afterwards the number of receipts
must equal the number of 201 answers, every answer must have been 201 (or 200 for the
baseline), and the ledger check must be clean; otherwise the script exits non-zero.
Everything it started is stopped, also on failure. The last line printed is

    RESULT api_accrual rps=... p50_ms=... p99_ms=... baseline_rps=... ratio=...

    .venv/bin/python -m tests.bench.api_accrual [--tiny] [--seconds S] [--clients C] [--workers W] [--threads T]
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from engine import cards, schema, stores
from engine.access.terminal_keys import issue_terminal_key
from engine.card_auth import issue_card_challenge, open_card_session
from engine.card_keys import MasterKeys, card_answer
from engine.database import Database
from engine.demo import DEMO_RULES, DEMO_SUMMER_BUDGET
from engine.ledger.invariants import check_ledger
from engine.members import enrol_member
from engine.orm.ledger import ReceiptRow
from engine.rules import campaigns, versions
from tests.support.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
BASKET = [("COFFEE-BEANS", "coffee", "LAVAZZA", "1", 1899), ("CROISSANT", "bakery", None, "2", 380),
          ("MILK-1L", "dairy", "WEIHENSTEPHAN", "2", 298), ("APPLES", "produce", None, "1.250", 374),
          ("CHOCOLATE", "sweets", "RITTER", "3", 657), ("NEWSPAPER", "press", None, "1", 350)]


def signed(secret: str, key_id: str, method: str, path: str, body: bytes, idempotency_key: str) -> dict:
    stamp = str(int(time.time()))
    message = "\n".join([method, path, stamp, idempotency_key, hashlib.sha256(body).hexdigest()])
    return {"X-Loyalty-Key": key_id, "X-Loyalty-Timestamp": stamp, "Idempotency-Key": idempotency_key,
            "X-Loyalty-Signature": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def prepare(db: Database, *, members: int, keys: MasterKeys, tills: int) -> list[dict]:
    """Stores, one terminal per client connection, members with cards and open card sessions."""
    now = datetime.now(UTC)
    stores.create_store(db, code="BER-01", name="Berlin", timezone="Europe/Berlin", group="CITY", now=now)
    campaigns.create_campaign(db, code="summer", name="Summer", starts_at=now - timedelta(days=1),
                              ends_at=now + timedelta(days=60), budget=DEMO_SUMMER_BUDGET, now=now)
    for rule in DEMO_RULES:
        versions.create_draft(db, rule, now=now)
    versions.publish_rules(db, [rule["key"] for rule in DEMO_RULES], now=now - timedelta(minutes=1))
    terminals = []
    for t in range(tills):
        code = f"BER-01-T{t}"
        stores.create_terminal(db, code=code, store_code="BER-01", now=now)
        key = issue_terminal_key(db, code, now=now)
        terminals.append({"terminal": code, "key_id": key.key_id, "secret": key.secret, "cards": []})
    for n in range(members):
        member = enrol_member(db, full_name=f"Member {n}", now=now)
        card = cards.issue_card(db, member_id=member.public_id, kind="applet", key_version=1, now=now)
        cards.activate_card(db, card.number, now=now)
        till = terminals[n % tills]
        challenge = issue_card_challenge(db, terminal_code=till["terminal"], card_number=card.number, now=now)
        answer = card_answer(keys.card_key(1, card.number), challenge.challenge)
        session = open_card_session(db, terminal_code=till["terminal"], challenge_id=challenge.challenge_id,
                                    answer=answer, keys=keys, now=now)
        till["cards"].append((card.number, session.token))
    return terminals


def client(port: int, till: dict | None, seconds: float, results) -> None:
    """One keep-alive connection sending for ``seconds``; accruals when ``till`` is given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, statuses, n = [], {}, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if till is None:
            path, body, headers, method = "/health/ready", b"", {}, "GET"
        else:
            number, session = till["cards"][n % len(till["cards"])]
            receipt = f"{till['terminal']}-{uuid.uuid4().hex[:12]}"
            path, method = "/v1/terminal/accruals", "POST"
            body = json.dumps({
                "store_code": "BER-01", "terminal_code": till["terminal"], "receipt_number": receipt,
                "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"), "currency": "EUR",
                "card_number": number, "card_session": session,
                "lines": [{"line_no": i + 1, "sku": sku, "category": category, "brand": brand, "quantity": quantity,
                           "amount_minor": amount} for i, (sku, category, brand, quantity, amount) in enumerate(BASKET)],
            }, separators=(",", ":")).encode()
            headers = signed(till["secret"], till["key_id"], method, path, body, str(uuid.uuid4()))
        started = time.perf_counter()
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        n += 1
    connection.close()
    results.put((latencies, statuses))


def load(port: int, tills: list[dict] | None, clients: int, seconds: float) -> dict:
    """``clients`` connections over two processes; requests/s, p50, p99, statuses."""
    results = multiprocessing.get_context("fork").Queue()

    def process_body(share: list[int]) -> None:
        threads = [threading.Thread(target=client, args=(port, tills[i] if tills else None, seconds, results))
                   for i in share]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    shares = [list(range(clients))[0::2], list(range(clients))[1::2]]
    processes = [multiprocessing.get_context("fork").Process(target=process_body, args=(share,))
                 for share in shares if share]
    began = time.perf_counter()
    for process in processes:
        process.start()
    collected = [results.get(timeout=seconds + 120) for _ in range(clients)]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    latencies = sorted(x for lat, _ in collected for x in lat)
    statuses: dict[int, int] = {}
    for _, counts in collected:
        for status, count in counts.items():
            statuses[status] = statuses.get(status, 0) + count
    return {"rps": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))], "statuses": statuses,
            "count": len(latencies)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, keys_text: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "LOYALTY_DATABASE_URL": url, "LOYALTY_CARD_MASTER_KEYS": keys_text,
           "LOYALTY_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
                               "--keep-alive", "30", "--log-level", "warning", "api.wsgi:app"],
                              cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health/ready")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not become ready")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="2 s per phase, few members")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.tiny:
        args.seconds, args.clients, args.members = 2.0, 2, 20
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so everything stops
    keys = MasterKeys({1: os.urandom(16)})
    keys_text = f"1:{keys.by_version[1].hex()}"
    cluster = PostgresCluster(durable=True)
    server = None
    try:
        cluster.start()
        url = cluster.create_database("bench")
        db = Database(url)
        schema.upgrade(db)
        tills = prepare(db, members=args.members, keys=keys, tills=args.clients)
        port = free_port()
        server = serve(url, keys_text, port, args.workers, args.threads)
        warm_up = load(port, tills, args.clients, min(2.0, args.seconds))  # connections, caches
        load(port, None, args.clients, min(2.0, args.seconds))
        accruals = load(port, tills, args.clients, args.seconds)
        baseline = load(port, None, args.clients, args.seconds)
        with db.transaction() as session:
            receipts = session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow))
        problems = check_ledger(db)
        db.dispose()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        cluster.stop()
    print(f"server: gunicorn gthread, {args.workers} workers x {args.threads} threads; "
          f"clients: {args.clients} keep-alive connections in 2 processes; {args.seconds:g} s per phase")
    print(f"accruals: {accruals['rps']:.1f}/s p50 {accruals['p50_ms']:.1f} ms p99 {accruals['p99_ms']:.1f} ms "
          f"statuses {accruals['statuses']}")
    print(f"baseline (GET /health/ready): {baseline['rps']:.1f}/s p50 {baseline['p50_ms']:.1f} ms "
          f"p99 {baseline['p99_ms']:.1f} ms statuses {baseline['statuses']}")
    created = accruals["statuses"].get(201, 0)
    failures = []
    if set(accruals["statuses"]) != {201}:
        failures.append(f"accruals answered other than 201: {accruals['statuses']}")
    if set(baseline["statuses"]) != {200}:
        failures.append(f"baseline answered other than 200: {baseline['statuses']}")
    warm_up_created = warm_up["statuses"].get(201, 0)
    if receipts != created + warm_up_created:
        failures.append(f"{created + warm_up_created} accruals answered 201 but {receipts} receipts exist")
    if problems:
        failures.append(f"ledger check: {len(problems)} problems, e.g. {problems[:3]}")
    if failures:
        sys.exit("; ".join(failures))
    print(f"receipts in the database: {receipts} = {created} timed + {warm_up_created} warm-up answers 201; "
          "ledger sound")
    print(f"RESULT api_accrual rps={accruals['rps']:.1f} p50_ms={accruals['p50_ms']:.1f} "
          f"p99_ms={accruals['p99_ms']:.1f} baseline_rps={baseline['rps']:.1f} "
          f"ratio={accruals['rps'] / baseline['rps']:.3f}")


if __name__ == "__main__":
    main()
