"""Webhooks benchmark: how fast the scheduler's sender drains waiting deliveries.

What is measured, on a durable PostgreSQL and a receiver on this machine (a threaded
``http.server``, answering 200): ``deliver_due`` sending N waiting ``points.earned``
deliveries to one endpoint (each taken from the outbox under a lease, signed, posted to the
checked address over the connections kept for the receiver, up to ``POSTS_AT_ONCE`` at a
time, recorded), against, as the
baseline in the same run, the same N bodies posted by ``webhooks.Connections`` alone (one
kept connection as well; no database, no signature), and, for what keeping the connection
saves, the same bodies posted by ``webhooks.post`` (a new connection each: the sender before
it kept connections). The three alternate in rounds (default 3) so that all see the machine
alike; each round prints its rates. Afterwards every event must have reached the receiver
exactly once from each. The last line printed is

    RESULT webhooks deliveries_per_s=... baseline_per_s=... ratio=... new_connection_per_s=... receiver_ms=... p50_ms=... p99_ms=... deliveries=...

(p50/p99: the time of one post, as the sender saw it). A receiver across a network adds its
round trip to every post (and, over https, a TLS handshake to every new connection): this is
the sender's own ceiling.

Run from the repository root:

    .venv/bin/python -m tests.bench.webhooks [--tiny] [--deliveries N] [--rounds R] [--receiver-ms MS]

``--receiver-ms`` makes the receiver wait before each answer, as a receiver across a network
would take a round trip: then the sender's posts several at a time (``POSTS_AT_ONCE``) show
against the baselines' one at a time.
"""
from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from engine import schema, webhooks
from engine.database import Database
from tests.support.postgres import PostgresCluster
from tests.support.webhook_receiver import LOCAL, WebhookReceiver

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def queue(db: Database, count: int, round_no: int) -> None:
    """``count`` waiting earnings for every endpoint, written as accruals write them."""
    with db.transaction() as session:
        webhooks.record_events(session, "points.earned", [
            {"member_id": f"m{round_no}-{n}", "store": "S1", "terminal": "S1-T1", "receipt": f"R{round_no}-{n}",
             "points": 25, "transaction_id": n} for n in range(count)], now=NOW)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a quick run that checks the script works")
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--receiver-ms", type=float, default=0.0,
                        help="the receiver waits this long before each answer (a network's round trip)")
    args = parser.parse_args(argv)
    count, rounds = (100, 1) if args.tiny else (args.deliveries, args.rounds)
    if count < 1 or rounds < 1 or args.receiver_ms < 0:
        parser.error("need at least one delivery and one round, and no negative wait")
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so the cluster stops
    cluster = PostgresCluster(durable=True)
    sender_rates, baseline_rates, fresh_rates, post_ms = [], [], [], []
    try:
        cluster.start()
        db = Database(cluster.create_database("bench_webhooks"))
        schema.upgrade(db)
        with WebhookReceiver() as receiver:
            if args.receiver_ms:
                receiver.before_answer = lambda: time.sleep(args.receiver_ms / 1000)
            webhooks.add_endpoint(db, url=receiver.url, kinds=["points.earned"], actor="bench", now=NOW,
                                  allowed_private=LOCAL)

            kept = webhooks.Connections()

            def timed_post(url, address, body, headers):
                started = time.perf_counter()
                try:
                    return kept(url, address, body, headers)
                finally:
                    post_ms.append((time.perf_counter() - started) * 1000)

            for round_no in range(rounds):
                queue(db, count, round_no)
                started = time.perf_counter()
                done = webhooks.deliver_due(db, now=NOW, allowed_private=LOCAL, send=timed_post, within=3600)
                sender_s = time.perf_counter() - started
                if done != webhooks.SendingRound(count, 0, 0, 0):
                    sys.exit(f"round {round_no}: {done}, not {count} delivered")
                kept.close()
                bodies = [r.body for r in receiver.received[-count:]]
                headers = {"Content-Type": "application/json"}
                started = time.perf_counter()
                with webhooks.Connections() as bare:
                    for body in bodies:
                        bare(receiver.url, "127.0.0.1", body, headers)
                baseline_s = time.perf_counter() - started
                started = time.perf_counter()
                for body in bodies:
                    webhooks.post(receiver.url, "127.0.0.1", body, headers)
                fresh_s = time.perf_counter() - started
                sender_rates.append(count / sender_s)
                baseline_rates.append(count / baseline_s)
                fresh_rates.append(count / fresh_s)
                print(f"round {round_no + 1}: sender {sender_rates[-1]:,.0f}/s, bare posts {baseline_rates[-1]:,.0f}/s, "
                      f"bare posts on new connections {fresh_rates[-1]:,.0f}/s", flush=True)
            events = Counter(json.loads(r.body)["id"] for r in receiver.received)
        db.dispose()
    finally:
        cluster.stop()
    if len(events) != count * rounds or set(events.values()) != {3}:  # by the sender and the two baselines
        sys.exit("an event did not reach the receiver exactly once (see above)")
    rate, baseline, fresh = (statistics.median(rates) for rates in (sender_rates, baseline_rates, fresh_rates))
    cuts = statistics.quantiles(post_ms, n=100)
    print(f"RESULT webhooks deliveries_per_s={rate:.0f} baseline_per_s={baseline:.0f} ratio={rate / baseline:.2f} "
          f"new_connection_per_s={fresh:.0f} receiver_ms={args.receiver_ms:g} p50_ms={cuts[49]:.2f} p99_ms={cuts[98]:.2f} deliveries={count * rounds}")


if __name__ == "__main__":
    main()
