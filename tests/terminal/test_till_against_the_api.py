"""The whole chain with real parts: virtual card -> pcscd -> till agent -> HTTP -> the API
(served by a real WSGI server) -> engine -> PostgreSQL."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from api import create_app
from engine.access.member_logins import set_member_pin
from engine.access.staff import create_staff_account
from engine.access.terminal_keys import issue_terminal_key
from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance
from engine.ledger.commands import AdjustPoints
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import ReceiptRow
from engine.rewards import RedeemReward, create_reward, redeem_reward
from engine.settings import update_settings
from engine import stores
from terminal.api_client import ApiClient, Credentials
from terminal.config import TerminalConfig
from terminal.errors import ApiError, CardNotAuthentic, SessionError
from terminal.issuing import issue_card
from terminal.pos_interface import PosInterface
from terminal.session import PosSession, State
from tests.api.conftest import CARD_KEYS, PASSWORD, PASSWORDS

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.parametrize("database", ["postgresql"], indirect=True)]

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 700, "category": "coffee"},
         {"line_no": 2, "sku": "CAKE", "quantity": "1", "amount_minor": 450}]


class ApiServer:
    """The API on a real WSGI server in a thread; stop() and start() again on the same port."""

    def __init__(self, app):
        self.app, self.port, self.server = app, 0, None

    def start(self) -> ApiServer:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def api_server(database):
    server = ApiServer(create_app({"DATABASE": database, "PASSWORDS": PASSWORDS, "CARD_MASTER_KEYS": CARD_KEYS,
                                   "LOG_LEVEL": "WARNING"})).start()
    yield server
    if server.server is not None:
        server.stop()


@pytest.fixture
def till(database, api_server, running_lab, tmp_path):
    now = datetime.now(UTC)
    stores.create_store(database, code="BER-01", name="Berlin", timezone="Europe/Berlin", now=now)
    stores.create_terminal(database, code="BER-01-T1", store_code="BER-01", now=now)
    key = issue_terminal_key(database, "BER-01-T1", now=now)
    create_staff_account(database, username="clerk", full_name="Clerk", password=PASSWORD, roles=["support"],
                         passwords=PASSWORDS, now=now)
    return TerminalConfig(api_url=api_server.url, key_id=key.key_id, secret=key.secret, store_code="BER-01",
                          terminal_code="BER-01-T1", reader=running_lab.readers[0],
                          outbox=str(tmp_path / "outbox.sqlite3"), tap_timeout=5, api_timeout=2)


@pytest.fixture
def agent(till):
    from terminal.agent import TillAgent
    from terminal.outbox import Outbox
    from terminal.reader import Reader

    agent = TillAgent(till, reader=Reader(till.reader),
                      api=ApiClient(till.api_url, Credentials(till.key_id, till.secret), timeout=till.api_timeout),
                      outbox=Outbox(till.outbox))
    yield agent
    agent.reader.close()
    agent.api.close()
    agent.outbox.close()


@pytest.fixture
def issued_card(agent, make_card, make_member):
    """A member with 500 points and a blank virtual card written by the issuing station;
    returns (member, the card's state, a function that taps it again)."""
    member = make_member("Ada Lovelace", points=500)
    blank = make_card(blank=True)
    blank.tap()
    issued = issue_card(agent.api, agent.reader, username="clerk", password=PASSWORD, member_id=member.public_id,
                        timeout=5)
    blank.remove()
    agent.reader.wait_for_removal(timeout=5)
    state = blank.applet.state
    assert state.card_number == issued.card_number

    def tap_again(**hooks):
        card = make_card(card_number=state.card_number, key_version=state.key_version, card_key=state.card_key,
                         **hooks)
        card.tap()
        return card
    return member, tap_again


def test_a_card_written_at_the_issuing_station_earns_and_pays_at_the_till(agent, issued_card, database):
    member, tap = issued_card
    tap()
    sale = PosSession("R-1")
    shown = agent.tap(sale)
    assert (shown.display_name, shown.available) == ("Ada L.", 500)
    agent.give_basket(sale, LINES)
    hold = agent.pay_with_points(sale, 200)
    assert sale.state is State.CAPTURED and hold.value_minor == 200
    result = agent.accrue(sale)
    assert sale.state is State.DONE and result["points"] == 9  # 11.50 less the 2.00 paid with points
    token = agent.api.staff_login("clerk", PASSWORD)  # what support staff see through the API
    balance = agent.api.request("GET", f"/v1/staff/members/{member.public_id}/balance", bearer=token, signed=False)
    assert (balance["available"], balance["pending"]) == (300, 9)
    assert check_ledger(database) == []


def asks_chip_cards_for_the_pin(database, member, pin: str) -> None:
    """The programme asks chip cards for the PIN to pay with points; ``member``'s is ``pin``."""
    now = datetime.now(UTC)
    update_settings(database, {"chip_cards_redeem_with_pin": True}, now=now)
    set_member_pin(database, member.public_id, pin, passwords=PASSWORDS, now=now)


def test_where_the_programme_asks_chip_cards_for_the_pin_a_tap_without_it_earns_and_one_with_it_pays(
        agent, issued_card, database):
    member, tap = issued_card
    asks_chip_cards_for_the_pin(database, member, "4711")
    card = tap()
    sale = PosSession("R-P1")
    agent.tap(sale)
    agent.give_basket(sale, LINES)
    with pytest.raises(SessionError, match="PIN"):
        agent.pay_with_points(sale, 200)
    assert agent.accrue(sale)["points"] == 11
    card.remove()
    agent.reader.wait_for_removal(timeout=5)
    tap()
    paying = PosSession("R-P2")
    agent.tap(paying, pin="4711")
    agent.give_basket(paying, LINES)
    assert agent.pay_with_points(paying, 200).value_minor == 200
    assert check_ledger(database) == []


def test_a_wrong_pin_with_the_tap_leaves_the_chip_card_to_earn_without_paying(agent, issued_card, database):
    member, tap = issued_card
    asks_chip_cards_for_the_pin(database, member, "4711")
    tap()
    sale = PosSession("R-P3")
    agent.tap(sale, pin="0000")
    assert (sale.state, sale.can_redeem, sale.pin_refused) == (State.AUTHENTICATED, False, "wrong PIN")
    agent.give_basket(sale, LINES)
    assert agent.accrue(sale)["points"] == 11
    assert check_ledger(database) == []


def test_the_pin_typed_after_the_tap_lets_a_chip_card_pay_where_the_programme_asks_for_it(agent, issued_card,
                                                                                           database):
    member, tap = issued_card
    asks_chip_cards_for_the_pin(database, member, "4711")
    tap()
    sale = PosSession("R-P3")
    agent.tap(sale)
    agent.give_basket(sale, LINES)
    with pytest.raises(ApiError):
        agent.give_pin(sale, "0000")
    assert agent.give_pin(sale, "4711") is True
    assert agent.pay_with_points(sale, 200).value_minor == 200
    assert agent.accrue(sale)["points"] == 9
    assert check_ledger(database) == []


def test_a_payment_with_points_the_api_refuses_leaves_the_sale_to_pay_less_and_earn(agent, issued_card, database):
    member, tap = issued_card
    tap()
    sale = PosSession("R-5")
    agent.tap(sale)  # shows 500 points
    agent.give_basket(sale, LINES)
    adjust_points(database, AdjustPoints(member.public_id, -400, "spent elsewhere", "tests"), caller="tests",
                  idempotency_key="spent-elsewhere", now=datetime.now(UTC))
    with pytest.raises(ApiError):
        agent.pay_with_points(sale, 200)
    assert sale.state is State.BASKET
    agent.pay_with_points(sale, 100)
    assert agent.accrue(sale)["points"] == 10  # 11.50 less the 1.00 paid with points
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).available == 0
    assert check_ledger(database) == []


def test_a_return_at_the_till_takes_back_the_points_of_the_returned_lines(agent, issued_card, database):
    member, tap = issued_card
    tap()
    sale = PosSession("R-2")
    agent.tap(sale)
    agent.give_basket(sale, LINES)
    agent.accrue(sale)
    refund = PosSession("R-3")
    agent.refund(refund, original_receipt="R-2", occurred_at=datetime.now(UTC),
                 lines=[{"line_no": 1, "quantity": 2}])
    assert refund.state is State.DONE
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).pending == 4


def test_a_copy_of_the_card_number_with_another_key_is_refused_by_the_server(agent, issued_card, make_card,
                                                                              database):
    member, tap = issued_card
    tap(wrong_key=True)
    sale = PosSession("R-4")
    with pytest.raises(CardNotAuthentic):
        agent.tap(sale)
    assert sale.state is State.FAILED
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).pending == 0


def test_a_sale_made_while_the_server_is_down_earns_once_when_it_is_back_naming_its_cashier(agent, issued_card,
                                                                                           api_server, database):
    member, tap = issued_card
    api_server.stop()
    tap()
    sale = PosSession("R-5", cashier="0042")
    assert agent.tap(sale) is None  # offline: the card vouched for the sale, the server will check
    agent.give_basket(sale, LINES)
    assert agent.accrue(sale) is None and sale.queued
    api_server.start()
    report = agent.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (1, 0, 0)
    assert agent.flush_outbox().sent == 0
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).pending == 11
    with database.transaction() as session:
        assert session.scalar(sa.select(ReceiptRow.cashier).where(ReceiptRow.receipt_number == "R-5")) == "0042"
    assert check_ledger(database) == []


def test_a_sale_at_a_till_whose_clock_runs_fast_keeps_the_servers_time_and_earns_once_the_clock_is_right(
        agent, issued_card, database):
    member, tap = issued_card
    fast = timedelta(minutes=20)
    agent.api.clock = lambda: time.time() + fast.total_seconds()
    agent.clock = lambda: datetime.now(UTC) + fast
    tap()
    sale = PosSession("R-FAST")
    assert agent.tap(sale) is None and "20 min ahead of the server's" in sale.offline_reason  # stale_request
    assert abs(datetime.fromisoformat(sale.sold_at) - datetime.now(UTC)) < timedelta(seconds=5)
    agent.give_basket(sale, LINES)
    assert agent.accrue(sale) is None and sale.queued
    agent.api.clock, agent.clock = time.time, lambda: datetime.now(UTC)  # NTP puts the clock right
    report = agent.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (1, 0, 0)
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).pending == 11
    assert check_ledger(database) == []


def test_a_sale_called_off_after_paying_gives_the_points_back_also_after_an_outage(agent, issued_card, api_server,
                                                                                   database):
    member, tap = issued_card
    tap()
    sale = PosSession("R-6")
    agent.tap(sale)
    agent.give_basket(sale, LINES)
    agent.pay_with_points(sale, 200)
    api_server.stop()  # the customer walks away while the server is down
    assert agent.cancel(sale) is None
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).available == 300
    api_server.start()
    assert agent.flush_outbox().sent == 1
    assert get_balance(database, member.public_id, as_of=datetime.now(UTC)).available == 500
    assert check_ledger(database) == []


def test_the_till_takes_a_reward_voucher_once(agent, till, database, make_member):
    now = datetime.now(UTC)
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=now, now=now)
    code = redeem_reward(database, RedeemReward("MUG", make_member(points=500).public_id), caller="member",
                         idempotency_key="redeem-1", now=now).voucher_code
    pos = PosInterface(agent)
    taken = pos.handle({"cmd": "voucher", "code": code.lower()})  # typed by hand at the till
    assert (taken["ok"], taken["voucher"]["reward_code"], taken["voucher"]["status"]) == (True, "MUG", "used")
    again = pos.handle({"cmd": "voucher", "code": code})
    assert (again["ok"], again["error"]) == (False, "ApiError") and "already used" in again["message"]
    with pytest.raises(ApiError):
        agent.take_voucher("VNOSUCHVOUCHER")
