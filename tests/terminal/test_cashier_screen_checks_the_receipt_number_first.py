"""The cashier screen refuses a receipt number the server cannot take (65 characters, say a
scanned barcode) at the receipt prompt, before the member taps and the basket is typed."""
import io

from rich.console import Console

from terminal.cli import cashier


def test_a_receipt_number_the_server_cannot_take_is_refused_before_the_tap(fake_server, make_agent):
    answers = iter(["R" * 65, "q"])
    out = io.StringIO()
    cashier(make_agent(), Console(file=out, width=200), ask=lambda prompt: next(answers))
    screen = out.getvalue()
    assert "The receipt number must be a text of 1 to 64 characters" in screen
    assert "Please tap the loyalty card" not in screen and fake_server.requests == 0
