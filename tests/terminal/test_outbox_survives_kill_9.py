"""A till killed (SIGKILL) while it sends its queued sales, twenty times over, loses none and
posts none twice (the reference's goal P2): each sale is on disk before it is first sent, is
sent again under its own key after the restart, and the server answers a repeated key with
its first answer. The till is ``loyalty-terminal flush`` in a process of its own; it is
killed a random moment after its first request reaches the server, which records each sale
and then takes 20 ms to answer, so many kills fall between the server's commit and the
till's receipt of the answer."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from terminal.agent import TillAgent
from terminal.api_client import ApiClient, Credentials
from terminal.config import TerminalConfig
from terminal.outbox import Outbox
from terminal.session import CardRef, PosSession

ROOT = Path(__file__).resolve().parents[2]
SALES, KILLS = 40, 20
LINES = [{"line_no": 1, "sku": "BREAD", "quantity": "1", "amount_minor": 500}]


def test_killing_the_till_twenty_times_while_it_sends_its_outbox_loses_no_sale_and_doubles_none(fake_server,
                                                                                                tmp_path):
    fake_server.add_member("M1", points=0)
    fake_server.add_uid("04AABBCCDD", "M1")
    config_file = tmp_path / "till.toml"
    config_file.write_text("\n".join([
        f'api_url = "{fake_server.url}"', f'key_id = "{fake_server.key_id}"', f'secret = "{fake_server.secret}"',
        'store_code = "S1"', 'terminal_code = "T1"', f'outbox = "{tmp_path / "outbox.sqlite3"}"',
        "api_timeout = 5"]) + "\n")
    _queue_sales(TerminalConfig.load(config_file), fake_server)
    fake_server.answer_delay = 0.02
    rng, killed = random.Random(9), 0
    for _ in range(KILLS):
        before = fake_server.requests
        till = _flush(config_file)
        try:
            deadline = time.monotonic() + 30
            while fake_server.requests == before and till.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))
            if till.poll() is None:
                till.send_signal(signal.SIGKILL)
                killed += 1
        finally:
            till.kill()
            till.wait()
    fake_server.answer_delay = 0
    last = _flush(config_file)
    assert last.wait(timeout=60) == 0
    receipts = [a["receipt_number"] for a in fake_server.accruals]
    assert sorted(receipts) == sorted(f"R{n}" for n in range(SALES))  # every sale, each once
    assert receipts == [f"R{n}" for n in range(SALES)]  # in the order they were sold
    assert fake_server.points_of("M1") == 5 * SALES
    assert killed == KILLS and fake_server.replayed > 0  # killed mid-send, after commits it never heard of


def _queue_sales(config: TerminalConfig, fake_server) -> None:
    """SALES sales made while the server was away: all in the outbox."""
    fake_server.down = True
    api = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret), timeout=1)
    agent = TillAgent(config, reader=None, api=api, outbox=Outbox(config.outbox))
    for n in range(SALES):
        session = PosSession(f"R{n}")
        session.card_presented(CardRef(uid="04AABBCCDD"))
        session.authenticated(member=None, card_session=None, can_redeem=False, offline=True)
        agent.give_basket(session, LINES)
        assert agent.accrue(session) is None
    agent.outbox.close()
    api.close()
    fake_server.down = False


def _flush(config_file: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "terminal.cli", "--config", str(config_file), "flush"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
