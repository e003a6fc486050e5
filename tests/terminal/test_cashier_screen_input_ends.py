"""The cashier screen's input ends (Ctrl-D) or the cashier breaks off (Ctrl-C) in the middle of
a sale: the sale is called off as with 'x', points paid go back to the member, and the screen
ends without a traceback. Without this the payment lived only in memory and was lost."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from terminal.cli import cashier

ROOT = Path(__file__).resolve().parents[2]


def screen_of(agent, answers: list) -> str:
    """What the screen shows while ``answers`` are typed in turn; an exception class among
    them is raised at its prompt, as Ctrl-D (EOFError) or Ctrl-C (KeyboardInterrupt) are."""
    out, typed = io.StringIO(), iter(answers)

    def ask(prompt):
        answer = next(typed)
        if isinstance(answer, type):
            raise answer()
        return answer

    try:
        cashier(agent, Console(file=out, width=200), ask=ask)
    except KeyboardInterrupt:  # (let through, it would end the test run instead of failing the test)
        pytest.fail("the cashier screen let Ctrl-C through")
    return out.getvalue()


@pytest.fixture
def member_with_card(fake_server, make_card):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    return "M1"


@pytest.mark.parametrize("ending", [EOFError, KeyboardInterrupt])
def test_the_input_ending_at_rest_of_the_bill_paid_calls_the_sale_off_and_gives_the_points_back(
        fake_server, member_with_card, make_agent, ending):
    screen = screen_of(make_agent(), ["C-1", "COFFEE 5.00", "", "200", ending, "never asked"])
    assert "called off" in screen and "The 200 points paid were given back to the member." in screen
    assert fake_server.points_of("M1") == 500 and fake_server.holds["H1"]["state"] == "returned"
    assert fake_server.accruals == []


@pytest.mark.parametrize("ending", [EOFError, KeyboardInterrupt])
def test_the_input_ending_before_any_payment_calls_the_sale_off_with_nothing_to_give_back(
        fake_server, member_with_card, make_agent, ending):
    screen = screen_of(make_agent(), ["C-1", "COFFEE 5.00", "", ending, "never asked"])
    assert "Sale called off." in screen
    assert fake_server.points_of("M1") == 500 and fake_server.holds == {} and fake_server.accruals == []


@pytest.mark.parametrize("ending", [EOFError, KeyboardInterrupt])
def test_the_input_ending_in_a_return_ends_the_screen_and_sends_nothing(fake_server, make_agent, ending):
    screen_of(make_agent(), ["r", "C-1", ending, "never asked"])
    assert fake_server.refunds == []


def test_the_cashier_command_whose_input_ends_after_a_payment_gives_the_points_back_without_a_traceback(
        fake_server, member_with_card, till_config, tmp_path):
    config_file = tmp_path / "till.toml"
    config_file.write_text("\n".join([
        f'api_url = "{fake_server.url}"', f'key_id = "{fake_server.key_id}"', f'secret = "{fake_server.secret}"',
        f'store_code = "{fake_server.store_code}"', f'terminal_code = "{fake_server.terminal_code}"',
        f'reader = "{till_config.reader}"', f'outbox = "{till_config.outbox}"', "tap_timeout = 5"]) + "\n")
    done = subprocess.run([sys.executable, "-m", "terminal.cli", "--config", str(config_file), "cashier"],
                          input="C-1\nCOFFEE 5.00\n\n200\n", capture_output=True, text=True, cwd=ROOT,
                          timeout=60, env=dict(os.environ, COLUMNS="200"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "The 200 points paid were given back to the member." in done.stdout
    assert fake_server.points_of("M1") == 500 and fake_server.accruals == []
