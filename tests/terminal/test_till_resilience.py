"""The till through a shift: pcscd restarts, two tills at once, slow cards, agent restarts."""
import threading

import pytest

from terminal.errors import PcscUnavailable
from terminal.session import PosSession, State

LINES = [{"line_no": 1, "sku": "TEA", "quantity": "1", "amount_minor": 300}]


def test_the_till_reports_pcscd_gone_and_sells_again_once_it_is_back(fake_server, make_card,
                                                                      make_agent, running_lab,
                                                                      receipt):
    fake_server.add_member("M1", points=0)
    key = fake_server.add_card("6280001234567890", "M1")
    agent = make_agent()
    running_lab.stop()
    session = PosSession(receipt())
    with pytest.raises(PcscUnavailable, match="pcscd"):
        agent.tap(session, timeout=1)
    assert session.state is State.IDLE
    running_lab.start()
    make_card(card_key=key).tap()
    agent.tap(session, timeout=5)
    agent.give_basket(session, LINES)
    assert agent.accrue(session)["points"] == 3


def test_two_tills_on_two_readers_sell_at_the_same_time(fake_server, make_card, make_agent,
                                                        till_config, running_lab, tmp_path):
    from dataclasses import replace

    agents = []
    for slot in (0, 1):
        fake_server.add_member(f"M{slot}", points=0)
        key = fake_server.add_card(f"628000000000000{slot}", f"M{slot}")
        make_card(slot=slot, card_key=key, card_number=f"628000000000000{slot}").tap()
        agents.append(make_agent(replace(till_config, reader=running_lab.readers[slot],
                                         outbox=str(tmp_path / f"outbox-{slot}.sqlite3"))))
    errors = []

    def sell(slot):
        try:
            for number in range(5):
                session = PosSession(f"two-{slot}-{number}")
                agents[slot].tap(session, timeout=5)
                agents[slot].give_basket(session, LINES)
                agents[slot].accrue(session)
        except Exception as error:  # checked below
            errors.append(error)

    threads = [threading.Thread(target=sell, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert (fake_server.points_of("M0"), fake_server.points_of("M1")) == (15, 15)


def test_a_slow_card_is_still_read_and_its_time_is_counted_as_card_time(fake_server, make_card,
                                                                        make_agent, receipt):
    fake_server.add_member("M1", points=0)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1"), delay_ms=60).tap()
    agent = make_agent()
    session = PosSession(receipt())
    agent.tap(session)
    assert session.state is State.AUTHENTICATED
    assert agent.timing.apdu_ms >= 3 * 60


def test_an_offline_card_sale_survives_an_agent_restart_and_is_posted_once(
        fake_server, make_card, make_agent, receipt):
    fake_server.add_member("M1", points=0)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    fake_server.down = True
    agent = make_agent()
    session = PosSession(receipt())
    agent.tap(session)
    agent.give_basket(session, LINES)
    agent.accrue(session)
    agent.outbox.close()
    fake_server.down = False
    restarted = make_agent()
    assert restarted.flush_outbox().sent == 1
    assert restarted.flush_outbox().sent == 0
    assert len(fake_server.accruals) == 1
    assert fake_server.accruals[0]["offline_proof"]["counter"] == session.offline_proof["counter"]
    assert fake_server.points_of("M1") == 3
