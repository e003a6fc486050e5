"""A till killed (SIGKILL) after the member paid with points and before the sale earned gives
the points back when it starts again: the payment is on disk (the outbox) before its capture
is sent, and an unfinished sale's payment is returned through the outbox at the next start,
at once or with a later flush when the server is away then. A sale that earned keeps its
payment. The till is ``loyalty-terminal pos`` in a process of its own, on the lab's reader."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.agent import TillAgent
from terminal.api_client import ApiClient, Credentials
from terminal.config import TerminalConfig
from terminal.outbox import Outbox

ROOT = Path(__file__).resolve().parents[2]
LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "1", "amount_minor": 1000}]


@pytest.fixture
def config_file(fake_server, running_lab, tmp_path):
    path = tmp_path / "till.toml"
    path.write_text("\n".join([
        f'api_url = "{fake_server.url}"', f'key_id = "{fake_server.key_id}"', f'secret = "{fake_server.secret}"',
        f'store_code = "{fake_server.store_code}"', f'terminal_code = "{fake_server.terminal_code}"',
        f'reader = "{running_lab.readers[0]}"', f'outbox = "{tmp_path / "outbox.sqlite3"}"',
        "tap_timeout = 5", "api_timeout = 1"]) + "\n")
    return path


@pytest.fixture
def member_with_card(fake_server, make_card):
    fake_server.add_member("M1", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    return "M1"


class Till:
    """``loyalty-terminal pos`` in its own process; ``ask`` sends one request, returns the answer."""

    def __init__(self, config_file: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "terminal.cli", "--config", str(config_file), "pos"],
                                        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def kill_9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()

    def close(self) -> str:
        """End the till (its input closed); what it told the operator on stderr."""
        _, said = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, said
        return said


def paid_with_points_then_killed(config_file: Path, receipt: str, *, accrue: bool = False) -> None:
    till = Till(config_file)
    try:
        answers = [till.ask(request) for request in (
            {"cmd": "start", "receipt": receipt}, {"cmd": "tap", "timeout": 5}, {"cmd": "basket", "lines": LINES},
            {"cmd": "pay_points", "points": 300}, *([{"cmd": "accrue"}] if accrue else []))]
        assert all(answer["ok"] for answer in answers), answers
    finally:
        till.kill_9()


def test_points_paid_for_a_sale_the_till_was_killed_in_come_back_when_it_starts_again(
        fake_server, member_with_card, config_file):
    paid_with_points_then_killed(config_file, "K-1")
    assert fake_server.points_of("M1") == 200 and fake_server.holds["H1"]["state"] == "captured"
    restarted = Till(config_file)
    assert restarted.ask({"cmd": "status"})["outbox_pending"] == 0
    said = restarted.close()
    assert "The 300 points paid for sale K-1" in said and "were given back to the member" in said
    assert fake_server.points_of("M1") == 500 and fake_server.holds["H1"]["state"] == "returned"
    assert fake_server.accruals == []


def test_points_paid_before_the_kill_come_back_with_a_flush_when_the_server_is_away_at_the_restart(
        fake_server, member_with_card, config_file):
    paid_with_points_then_killed(config_file, "K-2")
    fake_server.down = True
    restarted = Till(config_file)
    assert restarted.ask({"cmd": "status"})["outbox_pending"] == 1
    fake_server.down = False
    assert restarted.ask({"cmd": "flush"})["sent"] == 1
    assert "once the loyalty server can be reached" in restarted.close()
    assert fake_server.points_of("M1") == 500 and fake_server.holds["H1"]["state"] == "returned"


def test_a_sale_that_earned_before_the_kill_keeps_its_payment_with_points_at_the_restart(
        fake_server, member_with_card, config_file):
    paid_with_points_then_killed(config_file, "K-3", accrue=True)
    restarted = Till(config_file)
    assert restarted.ask({"cmd": "status"})["outbox_pending"] == 0
    assert "points paid" not in restarted.close()
    assert fake_server.holds["H1"]["state"] == "captured" and fake_server.points_of("M1") == 200 + 10


def test_a_payment_is_on_disk_before_its_capture_is_sent(fake_server, member_with_card, config_file):
    config = TerminalConfig.load(config_file)
    seen = []
    real_capture = ApiClient.capture_hold

    def spy(api, hold_id, **kwargs):
        on_disk = Outbox(config.outbox)
        seen.append([(p.hold_id, p.receipt_number, p.points) for p in on_disk.unfinished_payments()])
        on_disk.close()
        return real_capture(api, hold_id, **kwargs)

    from terminal.reader import Reader
    from terminal.session import PosSession

    api = ApiClient(config.api_url, Credentials(config.key_id, config.secret), timeout=1)
    api.capture_hold = spy.__get__(api)
    agent = TillAgent(config, reader=Reader(config.reader), api=api, outbox=Outbox(config.outbox))
    try:
        session = PosSession("K-4")
        agent.tap(session, timeout=5)
        agent.give_basket(session, LINES)
        agent.pay_with_points(session, 300)
        assert seen == [[("H1", "K-4", 300)]]
        agent.accrue(session)
        assert agent.outbox.unfinished_payments() == []  # the sale earned: its payment stands
    finally:
        agent.reader.close()
        agent.outbox.close()
        api.close()


def test_the_cashier_screen_says_at_its_start_that_points_paid_for_an_unfinished_sale_came_back(
        fake_server, member_with_card, config_file):
    import io

    from rich.console import Console

    from terminal.cli import build_agent, cashier

    paid_with_points_then_killed(config_file, "K-5")
    agent = build_agent(TerminalConfig.load(config_file))
    out = io.StringIO()
    try:
        cashier(agent, Console(file=out, width=200), ask=lambda prompt: "q")
    finally:
        agent.reader.close()
        agent.outbox.close()
        agent.api.close()
    assert "The 300 points paid for sale K-5, left unfinished when the till stopped, were given back" in out.getvalue()
    assert fake_server.points_of("M1") == 500
