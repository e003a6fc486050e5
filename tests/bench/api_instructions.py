"""API instructions benchmark: machine instructions the API executes per till accrual,
against a request doing one trivial database query. Counted, not timed.

Why: on a shared machine whose speed changes by a factor of two within the hour, a change
worth a few per cent cannot be seen in requests per second or CPU seconds. Instructions
executed do not depend on the machine's speed: two runs of the same code agree within
about 0.2 %, so two versions of the code can be compared run against run.

What is counted: the app process's instructions (valgrind's callgrind, instrumentation
switched on only around the measured requests), for ``POST /v1/terminal/accruals`` exactly
as ``tests.bench.api_accrual`` sends it (signed, card session, the demo's rules and
tiers, a repeat purchase, on a durable PostgreSQL) and for ``GET /health/ready``. The app
is called as a WSGI function in the measured process, without gunicorn and without a
socket; PostgreSQL runs as its own processes and is not counted. Each request must
succeed (else exit 1). The app's clock and every sale stand still at SALE_AT (a Wednesday,
13:00 in the store's Berlin): which of the demo's rules fire depends on the weekday and the
hour, so with the wall clock the count moved by a sixth from one day to the next. The last
line printed is

    RESULT api_instructions accrual_minstr=... baseline_minstr=... ratio=...

(millions of instructions per request; ratio = accrual / baseline). Needs valgrind
(``scripts/test`` installs it). Run from the repository root:

    .venv/bin/python -m tests.bench.api_instructions [--requests N] [--webhook]

``--webhook`` also counts accruals while a webhook endpoint takes every earning (the
``points.earned`` event written with the sale) and adds ``webhook_minstr=...``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WARM_UP = 100  # requests before counting: caches, prepared statements, the compiled rules
SALE_AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
# two tills send every request, at a clock that stands still: their limit is raised (the
# limit's check still runs on every request)
BENCH_RATE_LIMITS = "terminal=1000000/s"


def _worker(kind: str, count: int) -> None:
    """Runs under valgrind: prepare, warm up, say "ready", run ``count`` requests of ``kind``
    when told, say "done"."""
    from werkzeug.test import EnvironBuilder

    from engine import schema
    from engine.card_keys import MasterKeys
    from engine.database import Database
    from tests.bench.api_accrual import accrual_request, prepare
    from tests.support.postgres import PostgresCluster

    keys = MasterKeys({1: bytes(range(16))})
    cluster = PostgresCluster(durable=True)
    try:
        cluster.start()
        url = cluster.create_database("bench")
        db = Database(url)
        schema.upgrade(db)
        tills = prepare(db, members=40, keys=keys, tills=2, at=SALE_AT)
        if kind == "webhook":  # an endpoint takes every earning: one insert more per accrual
            from engine.webhooks import add_endpoint
            add_endpoint(db, url="https://crm.example.com/hooks", kinds=["points.earned"], actor="bench",
                         now=SALE_AT, allowed_private=frozenset(), resolver=lambda host, port: ["93.184.216.34"])
        db.dispose()
        os.environ.update(LOYALTY_DATABASE_URL=url, LOYALTY_CARD_MASTER_KEYS=f"1:{keys.by_version[1].hex()}",
                          LOYALTY_LOG_LEVEL="WARNING", LOYALTY_RATE_LIMITS=BENCH_RATE_LIMITS)
        from api import create_app
        app = create_app({"CLOCK": lambda: SALE_AT})
        sent = 0

        def requests(n: int) -> list[dict]:
            nonlocal sent
            built = []
            for _ in range(n):
                if kind == "baseline":
                    built.append(EnvironBuilder(method="GET", path="/health/ready").get_environ())
                else:
                    method, path, *rest = accrual_request(tills[sent % 2], sent // 2, SALE_AT).split("\t")
                    headers = dict(zip(rest[0:-1:2], rest[1:-1:2]))
                    built.append(EnvironBuilder(method=method, path=path, headers=headers,
                                                data=rest[-1].encode()).get_environ())
                sent += 1
            return built

        failed = []

        def start_response(status, _headers, _exc_info=None):
            if not status.startswith("2"):
                failed.append(status)

        def run(environs: list[dict]) -> None:
            for environ in environs:
                b"".join(app(environ, start_response))

        run(requests(WARM_UP))
        measured = requests(count)  # built before counting: the client's work is not the app's
        print("ready", flush=True)
        sys.stdin.readline()
        run(measured)
        print("done", flush=True)
        sys.stdin.readline()
        if failed:
            sys.exit(f"{len(failed)} {kind} requests failed, e.g. {failed[:3]}")
    finally:
        cluster.stop()


def count_instructions(kind: str, count: int) -> float:
    """Instructions per request of ``kind`` ("accrual", "webhook": an accrual with a webhook
    endpoint taking earnings, or "baseline")."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        worker = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", sys.executable,
             "-m", "tests.bench.api_instructions", "--worker", kind, "--requests", str(count)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the {kind} worker did not start (exit {worker.wait()})")
            _instrumentation(worker, "on")
            _tell(worker, "go")
            if worker.stdout.readline().strip() != "done":
                raise RuntimeError(f"the {kind} worker stopped early (exit {worker.wait()})")
            _instrumentation(worker, "off")
            _tell(worker, "end")
            if worker.wait(timeout=300) != 0:
                raise RuntimeError(f"the {kind} worker failed")
        finally:
            if worker.poll() is None:
                worker.terminate()  # it stops its PostgreSQL cluster (SIGTERM, see main)
                worker.wait(timeout=60)
        total = 0
        for part in Path(folder).glob("callgrind.out*"):
            for line in part.read_text().splitlines():
                if line.startswith(("summary:", "totals:")):
                    total = max(total, int(line.split()[1]))
    return total / count


def _instrumentation(worker: subprocess.Popen, state: str) -> None:
    subprocess.run(["callgrind_control", f"--instr={state}", str(worker.pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _tell(worker: subprocess.Popen, word: str) -> None:
    worker.stdin.write(word + "\n")
    worker.stdin.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="counted requests of each kind")
    parser.add_argument("--webhook", action="store_true",
                        help="also count accruals with a webhook endpoint taking every earning")
    parser.add_argument("--worker", choices=["accrual", "webhook", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # stopped, the worker stops its cluster, and the counter its worker
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    if args.worker:
        _worker(args.worker, args.requests)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("valgrind is not installed (scripts/test installs it)")
    accrual = count_instructions("accrual", args.requests)
    baseline = count_instructions("baseline", args.requests)
    webhook = count_instructions("webhook", args.requests) if args.webhook else None
    print(f"instructions per request (the app process; {args.requests} counted of each after {WARM_UP}): "
          f"accrual {accrual / 1e6:.3f} M, baseline (GET /health/ready) {baseline / 1e6:.3f} M"
          + ("" if webhook is None else f", accrual with a webhook endpoint {webhook / 1e6:.3f} M "
             f"({webhook / accrual - 1:+.1%})"))
    extra = "" if webhook is None else f" webhook_minstr={webhook / 1e6:.3f}"
    print(f"RESULT api_instructions accrual_minstr={accrual / 1e6:.3f} baseline_minstr={baseline / 1e6:.3f} "
          f"ratio={accrual / baseline:.2f}{extra}")


if __name__ == "__main__":
    main()
