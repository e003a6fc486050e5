"""A return at the till of a sale that still waits in that till's own outbox: the till sends
its queued sales first, so the return takes back what the sale earned; the return of a sale
the server cannot take now waits behind it in the outbox, and the two are sent in order.
Without this the server answered that the receipt never earned, and the next flush credited
the returned goods."""
import io
from datetime import datetime, timezone

import pytest
from rich.console import Console

from terminal.agent import TillAgent
from terminal.api_client import ApiClient, Credentials
from terminal.cli import cashier
from terminal.outbox import Outbox
from terminal.pos_interface import PosInterface
from terminal.session import CardRef, PosSession, State

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
LINES = [{"line_no": 1, "sku": "TV", "quantity": "1", "amount_minor": 49900}]
RETURNED = [{"line_no": 1, "quantity": "1"}]


@pytest.fixture
def till_config(fake_server, tmp_path):
    from terminal.config import TerminalConfig

    return TerminalConfig(api_url=fake_server.url, key_id=fake_server.key_id, secret=fake_server.secret,
                          store_code="S1", terminal_code="T1", outbox=str(tmp_path / "outbox.sqlite3"))


@pytest.fixture
def till(fake_server, till_config):
    """A till without a reader (a return needs no card), its server a fake whose member has 100 points."""
    fake_server.add_member("M1", points=100)
    fake_server.add_uid("04AABBCCDD", "M1")
    api = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret), timeout=1)
    agent = TillAgent(till_config, reader=None, api=api, outbox=Outbox(till_config.outbox), clock=lambda: NOW,
                      sleep=lambda seconds: None)
    yield agent
    agent.outbox.close()
    api.close()


def queue_sale_offline(agent, fake_server, receipt: str) -> None:
    """A sale made while the server was away: it waits in the till's outbox."""
    fake_server.down = True
    session = PosSession(receipt)
    session.card_presented(CardRef(uid="04AABBCCDD"))
    session.authenticated(member=None, card_session=None, can_redeem=False, offline=True)
    agent.give_basket(session, LINES)
    assert agent.accrue(session) is None
    fake_server.down = False


def test_a_return_sends_the_sale_still_queued_at_this_till_first_and_takes_its_points_back(till, fake_server):
    queue_sale_offline(till, fake_server, "R-1")
    session = PosSession("return-of-R-1")
    result = till.refund(session, original_receipt="R-1", occurred_at=NOW, lines=RETURNED)
    assert session.state is State.DONE and result["points_reversed"] == 499
    assert [a["receipt_number"] for a in fake_server.accruals] == ["R-1"] and len(fake_server.refunds) == 1
    assert till.flush_outbox().sent == 0  # nothing left to credit the returned goods later
    assert fake_server.points_of("M1") == 100


def test_a_return_of_a_sale_the_server_cannot_take_yet_waits_behind_it_and_takes_its_points_back_once_sent(
        till, fake_server):
    queue_sale_offline(till, fake_server, "R-1")
    fake_server.down = True
    session = PosSession("return-of-R-1")
    assert till.refund(session, original_receipt="R-1", occurred_at=NOW, lines=RETURNED) is None
    assert session.state is State.DONE and session.queued
    assert "R-1 still waits in this till's outbox" in session.message
    queued = [(e.kind, e.body["receipt_number"]) for e in till.outbox.pending()]
    assert queued == [("accrual", "R-1"), ("refund", "R-1")]
    assert fake_server.refunds == []
    fake_server.down = False
    assert till.flush_outbox().sent == 2
    assert [a["receipt_number"] for a in fake_server.accruals] == ["R-1"] and len(fake_server.refunds) == 1
    assert fake_server.points_of("M1") == 100


def test_a_pos_return_of_a_sale_still_queued_at_this_till_takes_its_points_back(till, fake_server):
    queue_sale_offline(till, fake_server, "R-1")
    answer = PosInterface(till).handle({"cmd": "refund", "receipt": "R-1", "occurred_at": NOW.isoformat(),
                                        "lines": RETURNED})
    assert (answer["ok"], answer["state"], answer["result"]["points_reversed"]) == (True, "done", 499)
    assert fake_server.points_of("M1") == 100


def test_the_cashier_screen_takes_back_the_points_of_a_sale_still_queued_at_this_till(till, fake_server):
    queue_sale_offline(till, fake_server, "R-1")
    out, typed = io.StringIO(), iter(["r", "R-1", "", "1", "f", "q"])
    cashier(till, Console(file=out, width=120), ask=lambda prompt: next(typed))
    assert "return recorded" in out.getvalue() and "Points taken back: 499" in out.getvalue()
    assert "Sent 0, refused 0, still waiting 0." in out.getvalue()
    assert fake_server.points_of("M1") == 100


def test_the_cashier_screen_says_a_return_waits_behind_its_sale_when_the_server_is_away(till, fake_server):
    queue_sale_offline(till, fake_server, "R-1")
    fake_server.down = True
    out, typed = io.StringIO(), iter(["r", "R-1", "", "1", "q"])
    cashier(till, Console(file=out, width=200), ask=lambda prompt: next(typed))
    assert "return saved" in out.getvalue() and "the return is saved behind it" in out.getvalue()
    fake_server.down = False
    assert till.flush_outbox().sent == 2 and fake_server.points_of("M1") == 100
