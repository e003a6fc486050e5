"""The first sales after an outage: a long backlog is worked off a few entries per sale (the
customer does not wait for all of it), a receipt's earlier entries still go before its later
ones, and a server that asks the till to slow down is named busy, not away. Fake server."""
from datetime import datetime, timezone

import pytest

from tests.terminal.conftest import BREAD, uid_card_sale as sale
from terminal.agent import INLINE_REPLAY, TillAgent
from terminal.api_client import ApiClient, Credentials
from terminal.outbox import Outbox
from terminal.session import CardRef

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
BACKLOG = INLINE_REPLAY * 3


@pytest.fixture
def till_config(fake_server, tmp_path):
    from terminal.config import TerminalConfig

    fake_server.add_member("M1", points=0)
    fake_server.add_uid("04AABBCCDD", "M1")
    return TerminalConfig(api_url=fake_server.url, key_id=fake_server.key_id,
                          secret=fake_server.secret, store_code="S1", terminal_code="T1",
                          outbox=str(tmp_path / "outbox.sqlite3"))


@pytest.fixture
def agent(fake_server, till_config):
    api = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret), timeout=1.0)
    agent = TillAgent(till_config, reader=None, api=api, outbox=Outbox(till_config.outbox), clock=lambda: NOW)
    yield agent
    agent.outbox.close()
    api.close()


def test_the_first_sale_after_an_outage_sends_only_a_few_queued_sales_before_its_own(fake_server, agent):
    fake_server.down = True
    for number in range(BACKLOG):
        sale(agent, f"Q{number}")
    fake_server.down = False
    result, session = sale(agent, "LIVE")
    assert result["points"] == 5 and not session.queued
    sent = [a["receipt_number"] for a in fake_server.accruals]
    assert sent == [f"Q{number}" for number in range(INLINE_REPLAY)] + ["LIVE"]
    assert len(agent.outbox.pending()) == BACKLOG - INLINE_REPLAY  # for the next sales, or a flush
    report = agent.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (BACKLOG - INLINE_REPLAY, 0, 0)


def test_a_queued_entry_of_the_sales_own_receipt_goes_before_it_even_far_back_in_the_backlog(fake_server, agent):
    fake_server.down = True
    for number in range(BACKLOG):
        sale(agent, "LIVE" if number == BACKLOG - 1 else f"Q{number}")
    fake_server.down = False
    sale(agent, "LIVE")
    sent = [a["receipt_number"] for a in fake_server.accruals]
    assert sent == [f"Q{number}" for number in range(INLINE_REPLAY)] + ["LIVE", "LIVE"]


def test_a_sale_the_server_is_too_busy_to_take_is_saved_and_the_cashier_is_told_the_server_is_busy(
        fake_server, agent):
    fake_server.rate_limited = 1
    result, session = sale(agent, "R-busy")
    assert result is None and session.queued
    assert "busy" in session.message and "server is back" not in session.message
    report = agent.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (1, 0, 0)


def test_the_pos_is_told_why_a_sale_was_queued(fake_server, agent):
    from terminal.pos_interface import PosInterface

    fake_server.rate_limited = 1
    interface = PosInterface(agent)
    interface.handle({"cmd": "start", "receipt": "R-pos"})
    interface.session.card_presented(CardRef(uid="04AABBCCDD"))
    interface.session.authenticated(member=None, card_session=None, can_redeem=False, offline=True)
    assert interface.handle({"cmd": "basket", "lines": BREAD})["ok"]
    answer = interface.handle({"cmd": "accrue"})
    assert answer["ok"] and answer["queued"] and "busy" in answer["message"]
