"""The virtual card as its command line builds it: a card that keeps what was written to it,
and a tap of limited duration."""
import subprocess
import sys

from terminal import card_protocol as cp
from terminal.devtools.virtual_card import build_card, main
from terminal.issuing import issue_card


def card_args(port, *extra):
    import argparse

    parser_args = dict(port=port, host="127.0.0.1", card_number=None, key_version=1,
                       card_key=None, blank=False, state=None, uid=None, foreign=False,
                       hold=None, drop_after=None, delay_ms=0.0, wrong_key=False, blocked=False)
    for name, value in zip(extra[::2], extra[1::2]):
        parser_args[name] = value
    return argparse.Namespace(**parser_args)


def test_a_blank_card_with_a_state_file_keeps_its_personalisation_between_taps(
        fake_server, running_lab, make_agent, tmp_path):
    fake_server.add_member("M3", "Hedy Lamarr", "silver")
    state = tmp_path / "card.json"
    agent = make_agent()
    card = build_card(card_args(running_lab.port(0), "blank", True, "state", str(state))).tap()
    issued = issue_card(agent.api, agent.reader, username="clerk", password="clerk-password",
                        member_id="M3", timeout=5)
    card.remove()
    agent.reader.wait_for_removal(timeout=5)
    again = build_card(card_args(running_lab.port(0), "state", str(state))).tap()
    try:
        agent.reader.wait_for_card(timeout=5)
        with agent.reader.connect() as link:
            assert cp.identify(link.atr, link.transmit).identity.card_number == issued.card_number
    finally:
        again.remove()
        agent.reader.wait_for_removal(timeout=5)


def test_a_tap_with_a_hold_time_leaves_the_reader_by_itself(running_lab, reader):
    result = subprocess.Popen([sys.executable, "-m", "terminal.devtools.virtual_card", "--port",
                               str(running_lab.port(0)), "--uid", "04A1B2C3", "--hold", "0.8"],
                              stdout=subprocess.PIPE, text=True)
    try:
        reader.wait_for_card(timeout=5)
        reader.wait_for_removal(timeout=5)
        assert result.wait(timeout=5) == 0
        assert "virtual card removed" in result.stdout.read()
    finally:
        if result.poll() is None:
            result.kill()
        result.stdout.close()


def test_the_command_says_when_there_is_no_reader_to_tap_on(capsys):
    assert main(["--port", "9", "--uid", "04A1B2C3", "--wait", "0.2"]) == 1
    assert "cannot reach the vpcd reader" in capsys.readouterr().err
