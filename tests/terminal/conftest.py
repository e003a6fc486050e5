"""Fixtures for the till: a real pcscd with the vpcd reader, virtual cards, a fake server.

``pcsc_lab`` starts one private pcscd for the whole test run (a machine-wide lock makes
other runs wait: one pcscd per machine) and always stops it. Under ``CI=true`` a missing
pcscd, vpcd driver or pyscard fails the tests instead of skipping them.
"""
from __future__ import annotations

from datetime import datetime, timezone

import itertools
import os

import pytest

from tests.conftest import require_real_part
from terminal.devtools.pcsc_lab import PcscLab, PcscLabUnavailable
from tests.terminal.fake_api import FakeLoyaltyServer
from terminal.api_client import ApiClient, Credentials
from terminal.config import TerminalConfig
from terminal.devtools.virtual_card import (
    CardState, ForeignApplet, LoyaltyApplet, UidOnlyApplet, VirtualCard,
)
from terminal import card_protocol as cp
from terminal.outbox import Outbox

CARD_NUMBER = "6280001234567890"


@pytest.fixture(scope="session")
def pcsc_lab():
    try:
        lab = PcscLab()
    except PcscLabUnavailable as error:
        require_real_part("pcscd with the vpcd reader", str(error))
    try:
        lab.start()
        yield lab
    finally:
        lab.close()


@pytest.fixture
def running_lab(pcsc_lab):
    """The lab, restarted if an earlier test stopped its pcscd."""
    if not pcsc_lab.running():
        pcsc_lab.start()
    return pcsc_lab


@pytest.fixture
def reader(running_lab):
    from terminal.reader import Reader

    reader = Reader(running_lab.readers[0])
    yield reader
    reader.close()


@pytest.fixture
def make_card(running_lab):
    """Build virtual cards on a slot of the lab; all are removed after the test."""
    cards: list[VirtualCard] = []

    def make(kind: str = "ours", *, slot: int = 0, card_key: bytes | None = None,
             card_number: str = CARD_NUMBER, key_version: int = 1, blocked: bool = False,
             wrong_key: bool = False, blank: bool = False, uid: str = "04A1B2C3D4E5F6",
             **hooks) -> VirtualCard:
        if kind == "ours":
            state = CardState() if blank else CardState(card_number, key_version,
                                                        card_key or bytes(16), True, blocked)
            card = VirtualCard(LoyaltyApplet(state, wrong_key=wrong_key),
                               port=running_lab.port(slot), **hooks)
        elif kind == "uid":
            card = VirtualCard(UidOnlyApplet(bytes.fromhex(uid)), atr=cp.MIFARE_CLASSIC_1K_ATR,
                               port=running_lab.port(slot), **hooks)
        elif kind == "foreign":
            card = VirtualCard(ForeignApplet(), atr=cp.DESFIRE_ATR, port=running_lab.port(slot),
                               **hooks)
        elif kind == "contact":
            card = VirtualCard(ForeignApplet(), atr=cp.CONTACT_CARD_ATR,
                               port=running_lab.port(slot), **hooks)
        else:
            raise ValueError(kind)
        cards.append(card)
        return card

    yield make
    for card in cards:
        card.remove()
    wait_until_empty(running_lab, {card.port - running_lab.port(0) for card in cards})


def wait_until_empty(lab, slots) -> None:
    """Let pcscd notice that the cards left (it polls vpcd every 400 ms), so the next
    test starts with empty readers."""
    from terminal.reader import Reader

    if not lab.running():
        return
    for slot in slots:
        reader = Reader(lab.readers[slot], resolve=False)
        try:
            reader.wait_for_removal(timeout=5)
        finally:
            reader.close()


@pytest.fixture
def fake_server():
    server = FakeLoyaltyServer().start()
    yield server
    server.stop()


_receipts = itertools.count(1)


@pytest.fixture
def receipt():
    return lambda: f"R{os.getpid()}-{next(_receipts)}"


@pytest.fixture
def till_config(fake_server, tmp_path, running_lab):
    return TerminalConfig(api_url=fake_server.url, key_id=fake_server.key_id,
                          secret=fake_server.secret, store_code=fake_server.store_code,
                          terminal_code=fake_server.terminal_code, reader=running_lab.readers[0],
                          outbox=str(tmp_path / "outbox.sqlite3"), tap_timeout=5, api_timeout=1)


@pytest.fixture
def make_agent(till_config):
    """A till agent on the lab's first reader, the fake server and a fresh outbox."""
    from terminal.agent import TillAgent
    from terminal.reader import Reader

    made = []

    def make(config: TerminalConfig = till_config) -> TillAgent:
        agent = TillAgent(config, reader=Reader(config.reader),
                          api=ApiClient(config.api_url, Credentials(config.key_id, config.secret),
                                        timeout=config.api_timeout),
                          outbox=Outbox(config.outbox), sleep=lambda seconds: None)
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.reader.close()
        agent.api.close()
        agent.outbox.close()


READERLESS_NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def readerless_pos(fake_server, tmp_path):
    """The POS interface of a till with no card reader (cards presented by hand), on the fake
    server and a fresh outbox, its clock at ``READERLESS_NOW``."""
    from terminal.agent import TillAgent
    from terminal.pos_interface import PosInterface

    config = TerminalConfig(api_url=fake_server.url, key_id=fake_server.key_id, secret=fake_server.secret,
                            store_code="S1", terminal_code="T1", outbox=str(tmp_path / "outbox.sqlite3"))
    api = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret), timeout=1.0)
    agent = TillAgent(config, reader=None, api=api, outbox=Outbox(config.outbox), clock=lambda: READERLESS_NOW)
    yield PosInterface(agent)
    agent.outbox.close()
    api.close()


BREAD = [{"line_no": 1, "sku": "BREAD", "quantity": "1", "amount_minor": 500}]


def uid_card_sale(agent, receipt: str):
    """A UID-card sale of ``BREAD`` whose card session could not be opened (server away): earn
    only. The accrual's answer (None when queued) and the session."""
    from terminal.session import CardRef, PosSession

    session = PosSession(receipt)
    session.card_presented(CardRef(uid="04AABBCCDD"))
    session.authenticated(member=None, card_session=None, can_redeem=False, offline=True)
    agent.give_basket(session, BREAD)
    return agent.accrue(session), session
