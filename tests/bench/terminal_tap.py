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
- ``api``: the server round trips (challenge, card session, accrual). The server here is
  the test suite's fake loyalty server in a thread (signatures checked, card answers
  verified with the engine's crypto, no database), so this is the till's side of the API
  cost, not the real server's.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="5 taps, 100 pairs (smoke test)")
    parser.add_argument("--taps", type=int, default=100)
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args(argv)
    taps, pairs = (5, 100) if args.tiny else (args.taps, args.pairs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from terminal.devtools.pcsc_lab import PcscLab
    from tests.terminal.fake_api import FakeLoyaltyServer
    from terminal import card_protocol as cp
    from terminal.agent import TillAgent
    from terminal.api_client import ApiClient, Credentials
    from terminal.config import TerminalConfig
    from terminal.devtools.virtual_card import CardState, LoyaltyApplet, VirtualCard
    from terminal.outbox import Outbox
    from terminal.reader import Reader
    from terminal.session import PosSession

    server = FakeLoyaltyServer().start()
    server.add_member("M1", points=0)
    key = server.add_card("6280001234567890", "M1")
    lines = [{"line_no": 1, "sku": "COFFEE", "quantity": "1", "amount_minor": 350}]
    with PcscLab() as lab, tempfile.TemporaryDirectory() as folder:
        config = TerminalConfig(api_url=server.url, key_id=server.key_id, secret=server.secret,
                                store_code="S1", terminal_code="T1", reader=lab.readers[0],
                                outbox=str(Path(folder) / "outbox.sqlite3"))
        agent = TillAgent(config, reader=Reader(config.reader),
                          api=ApiClient(config.api_url, Credentials(config.key_id, config.secret)),
                          outbox=Outbox(config.outbox))
        card = VirtualCard(LoyaltyApplet(CardState("6280001234567890", 1, key, True)),
                           port=lab.port(0))
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
        assert len(server.accruals) == taps + 1, "every tap must be posted exactly once"

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
