"""The loyalty-terminal commands: configuration, doctor, cashier screen, virtual card CLI."""
import io
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from rich.console import Console

from terminal.cli import cashier, doctor, main
from terminal.config import TerminalConfig

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def screen_of(agent, answers: list[str], *, width: int = 100) -> str:
    """What the cashier screen shows while ``answers`` are typed in turn."""
    out, typed = io.StringIO(), iter(answers)
    cashier(agent, Console(file=out, width=width), ask=lambda prompt: next(typed))
    return out.getvalue()


def test_configuration_comes_from_the_file_then_the_environment(tmp_path):
    path = tmp_path / "till.toml"
    path.write_text('api_url = "http://loyalty:8000"\nterminal_code = "TILL-1"\ntap_timeout = 12\n')
    config = TerminalConfig.load(path, environ={"LOYALTY_TERMINAL_SECRET": "s",
                                                "LOYALTY_TERMINAL_TAP_TIMEOUT": "7"})
    assert (config.api_url, config.terminal_code, config.secret, config.tap_timeout) == (
        "http://loyalty:8000", "TILL-1", "s", 7.0)
    path.write_text('api_ulr = "typo"\n')
    with pytest.raises(ValueError, match="api_ulr"):
        TerminalConfig.load(path, environ={})


def test_doctor_passes_when_every_part_is_there(till_config, fake_server):
    lines = []
    assert doctor(till_config, out=lines.append)
    assert [line.split()[0] for line in lines] == ["ok"] * 4


def test_doctor_says_which_part_is_wrong(till_config, fake_server):
    from dataclasses import replace

    lines = []
    bad = replace(till_config, reader="No Such Reader", secret="wrong", api_timeout=1)
    assert not doctor(bad, out=lines.append)
    assert lines[1].startswith("FAIL  reader: No card reader named 'No Such Reader'")
    assert lines[3].startswith("FAIL  terminal credentials: signature does not match")
    lines.clear()
    assert not doctor(replace(till_config, api_url="http://127.0.0.1:9"), out=lines.append)
    assert "cannot be reached" in lines[2]


def test_the_cashier_screen_runs_a_sale_and_shows_the_member_and_points(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    screen = screen_of(make_agent(), ["C-1", "COFFEE 3.50 2", "", "100", "", "q"])
    assert "Ada Lovelace" in screen and "gold" in screen and "500" in screen
    assert "Points earned: 7" in screen and "Balance now: 407 (pending points included)" in screen


def test_a_card_left_on_the_reader_does_not_earn_the_next_customers_sale(fake_server, make_card, make_agent,
                                                                           till_config):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()  # and left there
    answers = iter(["C-1", "COFFEE 3.50 2", "", "", "C-2", "q"])
    out = io.StringIO()
    cashier(make_agent(replace(till_config, tap_timeout=0.5)), Console(file=out, width=100),
            ask=lambda prompt: next(answers))
    assert "A card is still on the reader: take it off for the next customer." in out.getvalue()
    assert [a["receipt_number"] for a in fake_server.accruals] == ["C-1"]


def test_the_cashier_signed_on_at_the_screen_is_named_on_every_sale(fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    card = make_card(card_key=fake_server.add_card("6280001234567890", "M1"))
    card.tap()
    answers = iter(["C-1", "COFFEE 3.50 2", "", "", "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=100), ask=lambda prompt: next(answers), cashier_id="0042")
    assert "cashier 0042" in out.getvalue()
    assert [(a["receipt_number"], a["cashier"]) for a in fake_server.accruals] == [("C-1", "0042")]


def test_the_cashier_screen_asks_for_the_pin_of_a_card_that_pays_only_with_it(fake_server, make_card, make_agent):
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    answers, pins = iter(["C-1", "COFFEE 3.50 2", "", "100", "", "q"]), iter(["9999", "1234"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=100), ask=lambda prompt: next(answers),
            ask_secret=lambda prompt: next(pins))
    assert "wrong PIN" in out.getvalue() and "Paid 100 points" in out.getvalue()
    assert fake_server.points_of("M2") == 300 - 100 + 7


def test_without_the_pin_the_cashier_screen_sale_earns_and_pays_no_points(fake_server, make_card, make_agent):
    fake_server.add_member("M2", "Grace Hopper", "silver", points=300)
    fake_server.add_uid("04A1B2C3D4E5F6", "M2", pin="1234")
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    answers = iter(["C-1", "COFFEE 3.50 2", "", "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=100), ask=lambda prompt: next(answers),
            ask_secret=lambda prompt: "")
    assert "Points earned: 7" in out.getvalue() and fake_server.points_of("M2") == 307


@pytest.mark.parametrize("typed, said", [
    ("COFFEE", "write e.g. 'COFFEE 3.50 2'"), ("COFFEE three", "price and quantity are numbers"),
    ("COFFEE 3.505", "'3.505' is not a price"), ("COFFEE -3.50", "'-3.50' is not a price"),
    ("COFFEE Infinity", "'Infinity' is not a price"), ("COFFEE NaN 2", "'NaN' is not a price"),
    ("COFFEE 1e30", "'1e30' is not a price"), ("COFFEE 3.50 0", "'0' is not a quantity"),
    ("COFFEE 3.50 0.0001", "'0.0001' is not a quantity")])
def test_the_cashier_screen_refuses_a_basket_line_it_cannot_read_and_asks_again(
        fake_server, make_card, make_agent, typed, said):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = iter(["C-1", typed, "COFFEE 3.50 2", "", "", "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=200), ask=lambda prompt: next(answers))
    assert said in out.getvalue() and "Points earned: 7" in out.getvalue()
    assert [line["sku"] for line in fake_server.accruals[0]["lines"]] == ["COFFEE"]


def test_a_weighed_line_costs_its_unit_price_times_its_weight_rounded_to_the_cent(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = iter(["C-1", "CHEESE 12.99 0.455", "", "", "q"])
    cashier(make_agent(), Console(file=io.StringIO(), width=200), ask=lambda prompt: next(answers))
    assert fake_server.accruals[0]["lines"] == [{"line_no": 1, "sku": "CHEESE", "quantity": "0.455",
                                                 "amount_minor": 591}]  # 5.91045 -> 5.91


def test_offline_the_cashier_screen_saves_the_sale_and_sends_it_when_asked(fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    fake_server.down = True
    answers = iter(["C-1", "COFFEE 3.50 2", "", "f", "back", "f", "q"])
    out = io.StringIO()

    def ask(prompt):
        answer = next(answers)
        if answer == "back":
            fake_server.down = False
            return ""
        return answer

    cashier(make_agent(), Console(file=out, width=200), ask=ask)
    screen = out.getvalue()
    assert "The loyalty server cannot be reached (ConnectionError). This sale will earn points later" in screen
    assert "Sale saved; its points will be sent when the server is back." in screen
    assert "Sent 0, refused 0, still waiting 1." in screen and "Sent 1, refused 0, still waiting 0." in screen
    assert fake_server.points_of("M1") == 507


def test_the_cashier_screen_takes_a_reward_voucher_once_and_says_what_to_hand_over(fake_server, make_agent):
    fake_server.add_member("M1", points=0)
    fake_server.add_voucher("V3F9ABCD", "M1", reward_code="MUG")
    screen = screen_of(make_agent(), ["v", " v3f9abcd ", "v", "V3F9ABCD", "v", "", "q"], width=200)
    assert screen.count("Hand over the reward MUG (voucher V3F9ABCD, now used).") == 1
    assert "voucher V3F9ABCD was already used" in screen and "Type or scan the voucher code." in screen
    assert fake_server.vouchers["V3F9ABCD"]["status"] == "used"


def test_offline_the_cashier_screen_uses_no_voucher_and_says_why(fake_server, make_agent):
    fake_server.add_member("M1", points=0)
    fake_server.add_voucher("V3F9ABCD", "M1")
    fake_server.down = True
    answers = iter(["v", "V3F9ABCD", "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=200), ask=lambda prompt: next(answers))
    assert "cannot be reached" in out.getvalue() and "not done" in out.getvalue()
    assert fake_server.vouchers["V3F9ABCD"]["status"] == "issued"


def test_the_cashier_screen_asks_again_when_a_payment_with_points_is_refused_and_the_sale_still_earns(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    screen = screen_of(make_agent(), ["C-1", "COFFEE 3.50 2", "", "ten", "²", "900", "100", "", "q"])
    assert "Type a whole number of points" in screen and "The member has only 500 points." in screen
    assert "Paid 100 points" in screen and "Points earned: 7" in screen
    assert fake_server.points_of("M1") == 407


def test_the_cashier_screen_calls_a_sale_off_after_a_payment_and_gives_the_points_back(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    screen = screen_of(make_agent(), ["C-1", "COFFEE 3.50 2", "", "100", "later", "x", "q"])
    assert "Press enter once the rest is paid, or type 'x'" in screen
    assert "called off" in screen and "The 100 points paid were given back to the member." in screen
    assert "Points earned" not in screen and fake_server.accruals == []
    assert fake_server.points_of("M1") == 500


def test_a_sale_called_off_while_the_server_is_down_gives_the_points_back_with_the_next_flush(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = iter(["C-1", "COFFEE 3.50 2", "", "100", "x", "f", "q"])

    def ask(prompt):
        answer = next(answers)
        if answer == "x":
            fake_server.down = True
        elif answer == "f":
            fake_server.down = False
        return answer

    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=200), ask=ask)
    screen = out.getvalue()
    assert "will be given back to the member once the loyalty server can be reached" in screen
    assert "Sent 1, refused 0, still waiting 0." in screen
    assert fake_server.points_of("M1") == 500 and fake_server.accruals == []


def test_the_cashier_screen_records_a_return_and_shows_the_points_taken_back(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    screen = screen_of(make_agent(), ["C-1", "COFFEE 3.50 2", "TEA 2.00", "", "", "r", "C-1", "", "1:2", "q"])
    assert "return recorded" in screen and "Points taken back: 7" in screen and "New balance: 502" in screen
    assert fake_server.refunds[0]["lines"] == [{"line_no": 1, "quantity": "2"}]


def test_the_cashier_screen_says_which_points_taken_back_had_expired_already(fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    fake_server.expired_before_refund = 3
    screen = screen_of(make_agent(), ["C-1", "COFFEE 3.50 2", "", "", "r", "C-1", "", "1", "q"], width=120)
    assert "Points taken back: 7" in screen
    assert "Of those, expired already (not taken from the member again): 3" in screen


def test_the_cashier_screen_takes_a_return_of_a_sale_made_at_another_till_of_the_store(
        fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = iter(["C-1", "COFFEE 3.50 2", "", "", "r", "C-1", "T2", "1", "q"])
    cashier(make_agent(), Console(file=io.StringIO(), width=100), ask=lambda prompt: next(answers))
    assert (fake_server.refunds[0]["receipt_number"], fake_server.refunds[0]["terminal_code"]) == ("C-1", "T2")


def test_the_cashier_screen_names_its_cashier_with_a_return(fake_server, make_card, make_agent):
    fake_server.add_member("M1", "Ada Lovelace", "gold", points=500)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    answers = iter(["C-1", "COFFEE 3.50 2", "", "", "r", "C-1", "", "1", "q"])
    cashier(make_agent(), Console(file=io.StringIO(), width=100), ask=lambda prompt: next(answers), cashier_id="0042")
    assert fake_server.refunds[0]["cashier"] == "0042"


@pytest.mark.parametrize("typed, said", [("", "No line to return"), ("one", "'one' is not a line"),
                                         ("2:x", "'2:x' is not a line"), ("0", "line numbers start at 1"),
                                         ("1:nan", "'1:nan' is not a line"), ("1:inf", "'1:inf' is not a line")])
def test_the_cashier_screen_refuses_returned_lines_it_cannot_read_and_sends_nothing(
        fake_server, make_agent, typed, said):
    answers = iter(["r", "C-1", "", typed, "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=200), ask=lambda prompt: next(answers))
    assert said in out.getvalue() and "not done" in out.getvalue()
    assert fake_server.refunds == []


def test_the_cashier_screen_says_why_a_return_is_refused(fake_server, make_agent):
    answers = iter(["r", "NO-SUCH-SALE", "", "1", "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=200), ask=lambda prompt: next(answers))
    assert "No sale with this receipt." in out.getvalue() and "not done" in out.getvalue()


def test_the_cashier_screen_names_a_foreign_card_in_plain_words(fake_server, make_card,
                                                                 make_agent):
    foreign = make_card("contact").tap()
    answers = iter(["C-2"])
    out = io.StringIO()
    agent = make_agent()

    def ask(prompt):
        return next(answers)

    def remove_then_stop(timeout):
        foreign.remove()
        raise KeyboardInterrupt

    agent.reader.wait_for_removal = remove_then_stop
    cashier(agent, Console(file=out, width=100), ask=ask)  # Ctrl-C calls the sale off and ends the screen
    assert "foreign card (unknown card (ATR 3B 95" in out.getvalue()
    assert "Sale called off." in out.getvalue() and fake_server.accruals == []


def test_the_command_line_reports_a_missing_reader_service_in_plain_words(monkeypatch, capsys,
                                                                          pcsc_lab):
    with pcsc_lab.__class__.paused():
        assert main(["readers"]) == 1
    assert "pcscd" in capsys.readouterr().err


def test_the_virtual_card_command_is_labelled_a_development_tool():
    result = subprocess.run([sys.executable, "-m", "terminal.devtools.virtual_card", "--help"],
                            capture_output=True, text=True, check=True)
    assert "DEVELOPMENT/DEMO TOOL" in result.stdout


@pytest.mark.parametrize("command", ["loyalty-terminal", "loyalty-virtual-card"])
def test_the_console_scripts_are_installed(command):
    from pathlib import Path

    script = Path(sys.executable).parent / command
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert "usage:" in result.stdout


def test_the_outbox_command_puts_a_refused_entry_back_in_line(tmp_path, capsys):
    from terminal.outbox import Outbox

    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.add("accrual", "k1", {"receipt_number": "R-1"}, now=NOW)
    outbox.mark_rejected("k1", "404 card_not_found: No such card.", now=NOW)
    outbox.close()
    config = tmp_path / "till.toml"
    config.write_text(f'outbox = "{tmp_path / "outbox.sqlite3"}"\n')
    assert main(["--config", str(config), "outbox", "--resend", "1"]) == 0
    assert main(["--config", str(config), "outbox"]) == 0
    assert "     1 pending  accrual        R-1" in capsys.readouterr().out
    assert main(["--config", str(config), "outbox", "--resend", "1"]) == 1  # waiting already
    assert "is not one the server refused" in capsys.readouterr().err
