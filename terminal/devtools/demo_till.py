"""DEVELOPMENT AND DEMO TOOL: the demo till on a private PC/SC stack.

``python -m terminal.devtools.demo_till --instance DIR`` starts a private pcscd with two
virtual readers and leaves them running (Ctrl-C stops them); a virtual card is then tapped
with ``loyalty-virtual-card`` (the commands are printed) and the cashier screen runs with
``loyalty-terminal --config DIR/till.toml cashier --cashier-id 0101``.

``--check`` runs one whole sale instead and exits: pcscd, the first demo card tapped on the
reader, the member shown, a basket earned through the running service, everything stopped
again. ``loyalty demo till`` writes the files this reads (till.toml, demo-cards.json).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time
import uuid
from pathlib import Path

from terminal.api_client import ApiClient, Credentials
from terminal.config import TerminalConfig
from terminal.devtools.pcsc_lab import PcscLab
from terminal.devtools.virtual_card import CardState, LoyaltyApplet, VirtualCard
from terminal.outbox import Outbox
from terminal.session import PosSession

DEMO_BASKET = [{"line_no": 1, "sku": "COFFEE-BEANS-1KG", "quantity": "1", "amount_minor": 1899, "category": "coffee"},
               {"line_no": 2, "sku": "CROISSANT", "quantity": "2", "amount_minor": 380, "category": "bakery"}]

DEMO_CASHIER = "0101"  # the operator at the demo till (BER-01-T1 in engine.demo)


def demo_cards(instance: Path) -> list[dict]:
    return json.loads((instance / "demo-cards.json").read_text())


def check(instance: Path) -> int:
    """One demo sale end to end; 0 when the points were earned."""
    from terminal.agent import TillAgent
    from terminal.reader import Reader

    config = dataclasses.replace(TerminalConfig.load(instance / "till.toml"),
                                 outbox=str(instance / f"check-outbox-{uuid.uuid4().hex[:8]}.sqlite3"))
    card_info = next(c for c in demo_cards(instance) if c["status"] == "active")
    with PcscLab() as lab:
        card = VirtualCard(LoyaltyApplet(CardState(card_info["card_number"], card_info["key_version"],
                                                   bytes.fromhex(card_info["card_key"]), True, False)),
                           port=lab.port(0))
        agent = TillAgent(config, reader=Reader(config.reader),
                          api=ApiClient(config.api_url, Credentials(config.key_id, config.secret)),
                          outbox=Outbox(config.outbox))
        try:
            card.tap()
            sale = PosSession(f"DEMO-CHECK-{uuid.uuid4().hex[:8]}", cashier=DEMO_CASHIER)
            member = agent.tap(sale)
            agent.give_basket(sale, DEMO_BASKET)
            result = agent.accrue(sale)
        finally:
            card.remove()
            agent.reader.close()
            agent.api.close()
            agent.outbox.close()
            Path(config.outbox).unlink(missing_ok=True)
    if member is None or not result:
        print("demo till check failed: the sale was not confirmed by the server", file=sys.stderr)
        return 1
    print(f"demo till ok: {member.display_name} ({card_info['card_number']}) earned {result['points']} points")
    return 0


def serve(instance: Path) -> int:
    """Run the private pcscd until Ctrl-C (or SIGTERM) and say how to tap the demo cards."""
    signal.signal(signal.SIGTERM, _interrupt)  # stop pcscd on the way out, not only on Ctrl-C
    with PcscLab() as lab:
        print(f"pcscd runs with readers {', '.join(lab.readers)}. In other shells:")
        print(f"  .venv/bin/loyalty-terminal --config {instance / 'till.toml'} cashier --cashier-id {DEMO_CASHIER}")
        for card in demo_cards(instance):
            print(f"  # {card['member']} ({card['status']}):\n  .venv/bin/loyalty-virtual-card --port {lab.port(0)} "
                  f"--card-number {card['card_number']} --key-version {card['key_version']} "
                  f"--card-key {card['card_key']} --hold 10")
        try:
            while lab.running():
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
    return 1


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.devtools.demo_till", description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True, help="the demo's instance folder")
    parser.add_argument("--check", action="store_true", help="run one sale and exit")
    args = parser.parse_args(argv)
    return check(args.instance) if args.check else serve(args.instance)


if __name__ == "__main__":
    raise SystemExit(main())
