"""Terminal tap benchmark: card tapped -> member shown and accrual confirmed, over many taps.

What is measured, on the real PC/SC stack (a private pcscd with the vpcd reader, the
project's virtual card in this process) and the till agent:

- ``total``: from the moment the virtual card connects to vpcd (the tap) until the agent
  has the member on screen *and* the accrual's answer (``tap`` + ``give_basket`` +
  ``accrue``);
- ``detect``: the part spent until pcscd reports the card (bounded by its 400 ms poll;
  taps come at random moments, 0-400 ms after the previous card was seen leaving);
- ``apdu``: our APDUs of the tap (SELECT, GET DATA, INTERNAL AUTHENTICATE) through
  pyscard -> pcscd -> vpcd -> card;
- ``api``: the server round trips (challenge, card session, accrual) to the real API (the
  project's Flask app on werkzeug's threaded server in this process, on the embedded
  SQLite database: signatures checked, the card's answer verified, the demo's earning
  rules evaluated, the accrual posted to the ledger).
- ``pair``: SELECT + INTERNAL AUTHENTICATE pairs back to back on one connection.

The script starts and always stops its own pcscd (also on SIGTERM). Last line::

    RESULT terminal_tap p50_ms=... p99_ms=... apdu_p50_ms=... api_p50_ms=... detect_p50_ms=...
    pair_p50_ms=... pair_p99_ms=... taps=...

Run from the repository root: ``.venv/bin/python -m tests.bench.terminal_tap [--tiny] [--taps N]``
"""
from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def start_api(folder: Path):
    """The real API on a fresh SQLite database with one store, till, key, member and card."""
    import os
    from datetime import UTC, datetime

    from api import create_app
    from api.rate_limits import parse_rates
    from engine import cards, schema, stores
    from engine.access.terminal_keys import issue_terminal_key
    from engine.card_keys import MasterKeys
    from engine.database import Database
    from engine.members import enrol_member
    from tests.terminal.test_till_against_the_api import ApiServer

    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request on stderr
    db = Database(f"sqlite:///{folder / 'loyalty.sqlite3'}")
    schema.upgrade(db)
    now = datetime.now(UTC)
    keys = MasterKeys({1: os.urandom(16)})
    stores.create_store(db, code="S1", name="Store", timezone="Europe/Berlin", now=now)
    stores.create_terminal(db, code="S1-T1", store_code="S1", now=now)
    credentials = issue_terminal_key(db, "S1-T1", now=now)
    member = enrol_member(db, full_name="Ada Lovelace", now=now)
    card = cards.issue_card(db, member_id=member.public_id, kind="applet", key_version=1, now=now)
    cards.activate_card(db, card.number, now=now)
    # one till tapping back to back, far faster than a cashier: its rate limit is raised
    server = ApiServer(create_app({"DATABASE": db, "CARD_MASTER_KEYS": keys, "LOG_LEVEL": "WARNING",
                                   "RATE_LIMITS": parse_rates("terminal=1000000/s")})).start()
    return server, db, card.number, keys.card_key(1, card.number), credentials


def posted_receipts(db) -> int:
    import sqlalchemy as sa

    from engine.orm.ledger import ReceiptRow
    with db.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="5 taps, 100 pairs (smoke test)")
    parser.add_argument("--taps", type=int, default=100)
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args(argv)
    taps, pairs = (5, 100) if args.tiny else (args.taps, args.pairs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from terminal.devtools.pcsc_lab import PcscLab
    from terminal import card_protocol as cp
    from terminal.agent import TillAgent
    from terminal.api_client import ApiClient, Credentials
    from terminal.config import TerminalConfig
    from terminal.devtools.virtual_card import CardState, LoyaltyApplet, VirtualCard
    from terminal.outbox import Outbox
    from terminal.reader import Reader
    from terminal.session import PosSession

    lines = [{"line_no": 1, "sku": "COFFEE", "quantity": "1", "amount_minor": 350, "category": "coffee"}]
    with PcscLab() as lab, tempfile.TemporaryDirectory() as folder:
        server, db, card_number, key, credentials = start_api(Path(folder))
        config = TerminalConfig(api_url=server.url, key_id=credentials.key_id, secret=credentials.secret,
                                store_code="S1", terminal_code="S1-T1", reader=lab.readers[0],
                                outbox=str(Path(folder) / "outbox.sqlite3"))
        agent = TillAgent(config, reader=Reader(config.reader),
                          api=ApiClient(config.api_url, Credentials(config.key_id, config.secret)),
                          outbox=Outbox(config.outbox))
        card = VirtualCard(LoyaltyApplet(CardState(card_number, 1, key, True)), port=lab.port(0))
        totals, detects, apdus, apis = [], [], [], []
        gaps = random.Random(7)
        for number in range(taps + 1):
            # a member arrives at a random moment of pcscd's 400 ms presence poll
            time.sleep(gaps.uniform(0, 0.4))
            session = PosSession(f"B{number}")
            started = time.perf_counter()
            card.tap()
            agent.tap(session, timeout=5)
            tapped_api = agent.timing.api_ms
            accrue_started = time.perf_counter()
            agent.give_basket(session, lines)
            agent.accrue(session)
            finished = time.perf_counter()
            if number:  # the first tap warms connections up
                totals.append((finished - started) * 1000)
                detects.append(agent.timing.detect_ms)
                apdus.append(agent.timing.apdu_ms)
                apis.append(tapped_api + (finished - accrue_started) * 1000)
            card.remove()
            agent.reader.wait_for_removal(timeout=5)
        assert posted_receipts(db) == taps + 1, "every tap must be posted exactly once"

        card.tap()
        agent.reader.wait_for_card(timeout=5)
        pair_ms = []
        with agent.reader.connect() as link:
            challenge = bytes(16)
            for _ in range(pairs):
                started = time.perf_counter()
                cp.select(link.transmit)
                cp.authenticate(link.transmit, challenge)
                pair_ms.append((time.perf_counter() - started) * 1000)
        card.remove()
        agent.reader.close()
        agent.outbox.close()
        server.stop()
        db.dispose()

    def row(name, values):
        print(f"{name:>8}: p50 {statistics.median(values):8.2f} ms  p99 {percentile(values, .99):8.2f} ms"
              f"  max {max(values):8.2f} ms  (n={len(values)})")

    for name, values in (("total", totals), ("detect", detects), ("apdu", apdus),
                         ("api", apis), ("pair", pair_ms)):
        row(name, values)
    print(f"RESULT terminal_tap p50_ms={statistics.median(totals):.1f} "
          f"p99_ms={percentile(totals, .99):.1f} apdu_p50_ms={statistics.median(apdus):.2f} "
          f"api_p50_ms={statistics.median(apis):.1f} detect_p50_ms={statistics.median(detects):.1f} "
          f"pair_p50_ms={statistics.median(pair_ms):.3f} pair_p99_ms={percentile(pair_ms, .99):.3f} "
          f"taps={taps}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
