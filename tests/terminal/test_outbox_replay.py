"""Accruals survive outages: written before the first send, replayed in order, posted once."""
from datetime import datetime, timezone

import pytest

from tests.terminal.conftest import uid_card_sale as sale
from terminal.agent import TillAgent
from terminal.api_client import ApiClient, Credentials
from terminal.errors import ApiError, ApiUnreachable
from terminal.outbox import Outbox

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def member(fake_server):
    fake_server.add_member("M1", points=0)
    fake_server.add_uid("04AABBCCDD", "M1")
    return "M1"


def agent_for(config, fake_server, *, timeout=1.0, secret=None):
    api = ApiClient(fake_server.url, Credentials(fake_server.key_id, secret or fake_server.secret),
                    timeout=timeout)
    return TillAgent(config, reader=None, api=api, outbox=Outbox(config.outbox),
                     clock=lambda: NOW)


@pytest.fixture
def till_config(fake_server, tmp_path):
    from terminal.config import TerminalConfig

    return TerminalConfig(api_url=fake_server.url, key_id=fake_server.key_id,
                          secret=fake_server.secret, store_code="S1", terminal_code="T1",
                          outbox=str(tmp_path / "outbox.sqlite3"))


def test_the_entry_is_on_disk_before_the_first_send(fake_server, member, till_config):
    agent = agent_for(till_config, fake_server)
    seen = []
    real_accrue = agent.api.accrue

    def spy(body, key):
        on_disk = Outbox(till_config.outbox)
        seen.append([(e.idempotency_key, e.status) for e in on_disk.entries()])
        on_disk.close()
        return real_accrue(body, key)

    agent.api.accrue = spy
    result, _ = sale(agent, "R1")
    assert result["points"] == 5
    assert seen == [[(agent.outbox.entries()[0].idempotency_key, "pending")]]
    assert agent.outbox.entries()[0].status == "sent"


def test_sales_during_an_outage_are_posted_once_each_after_an_agent_restart(
        fake_server, member, till_config):
    fake_server.down = True
    agent = agent_for(till_config, fake_server)
    for number in range(3):
        result, session = sale(agent, f"R{number}")
        assert result is None and session.queued
    assert [e.body["receipt_number"] for e in agent.outbox.pending()] == ["R0", "R1", "R2"]
    agent.outbox.close()
    agent.api.close()

    fake_server.down = False
    restarted = agent_for(till_config, fake_server)
    report = restarted.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (3, 0, 0)
    assert [a["receipt_number"] for a in fake_server.accruals] == ["R0", "R1", "R2"]
    assert restarted.flush_outbox().sent == 0
    assert fake_server.points_of("M1") == 15


def test_a_new_sale_goes_after_the_queued_ones(fake_server, member, till_config):
    fake_server.down = True
    agent = agent_for(till_config, fake_server)
    sale(agent, "R-early")
    fake_server.down = False
    result, _ = sale(agent, "R-late")
    assert result is not None
    assert [a["receipt_number"] for a in fake_server.accruals] == ["R-early", "R-late"]


def test_a_timeout_after_the_server_committed_does_not_post_twice(fake_server, member,
                                                                   till_config):
    fake_server.commit_then_stall = 1
    agent = agent_for(till_config, fake_server, timeout=0.5)
    result, session = sale(agent, "R-stall")
    assert result is None and session.queued
    assert len(fake_server.accruals) == 1
    report = agent.flush_outbox()
    assert (report.sent, report.left) == (1, 0)
    assert len(fake_server.accruals) == 1
    assert agent.outbox.entries()[0].result["transaction_id"] == 1


def test_a_retry_the_server_is_still_working_on_stays_queued_and_gets_its_answer_later(
        fake_server, member, till_config):
    fake_server.in_flight = 1  # an earlier try of the same key is still running on the server
    agent = agent_for(till_config, fake_server)
    result, session = sale(agent, "R-busy")
    assert result is None and session.queued
    assert [e.status for e in agent.outbox.entries()] == ["pending"]
    report = agent.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (1, 0, 0)
    assert [a["receipt_number"] for a in fake_server.accruals] == ["R-busy"]


def test_a_sale_over_the_tills_rate_is_queued_and_replayed_once_the_server_takes_it_again(
        fake_server, member, till_config):
    fake_server.rate_limited = 2  # the sale, and the first flush
    agent = agent_for(till_config, fake_server)
    result, session = sale(agent, "R-fast")
    assert result is None and session.queued
    first = agent.flush_outbox()
    assert (first.sent, first.rejected, first.left) == (0, 0, 1)
    assert "slow down for 7 s" in agent.outbox.entries()[0].last_error
    second = agent.flush_outbox()
    assert (second.sent, second.rejected, second.left) == (1, 0, 0)
    assert [a["receipt_number"] for a in fake_server.accruals] == ["R-fast"]


def test_sales_the_server_does_not_accept_the_till_for_wait_until_the_till_is_put_right(
        fake_server, member, till_config):
    fake_server.down = True
    for number in range(2):
        sale(agent_for(till_config, fake_server), f"R{number}")
    fake_server.down = False
    mistyped = agent_for(till_config, fake_server, secret="a mistyped secret")
    result, session = sale(mistyped, "R2")  # a 401 is about the till, not the sale
    assert result is None and session.queued
    report = mistyped.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (0, 0, 3)
    first = mistyped.outbox.pending()[0]
    assert first.last_error == "401 bad_signature: signature does not match"
    assert fake_server.accruals == []
    report = agent_for(till_config, fake_server).flush_outbox()
    assert (report.sent, report.rejected, report.left) == (3, 0, 0)
    assert fake_server.points_of("M1") == 15


def test_a_refused_entry_is_set_aside_and_does_not_block_the_rest(tmp_path):
    outbox = Outbox(tmp_path / "o.sqlite3")
    for key in ("a", "b", "c"):
        outbox.add("accrual", key, {"n": key}, now=NOW)

    def deliver(entry):
        if entry.idempotency_key == "b":
            raise ApiError("No such card.", status=404, error="card_not_found")
        return {"ok": entry.idempotency_key}

    report = outbox.replay(deliver, now=NOW)
    assert (report.sent, report.rejected, report.left) == (2, 1, 0)
    assert [(e.idempotency_key, e.status) for e in outbox.entries()] == [
        ("a", "sent"), ("b", "rejected"), ("c", "sent")]
    assert "card_not_found" in outbox.get("b").last_error


def test_replay_stops_at_the_first_entry_the_server_cannot_take(tmp_path):
    outbox = Outbox(tmp_path / "o.sqlite3")
    for key in ("a", "b"):
        outbox.add("accrual", key, {}, now=NOW)

    def deliver(entry):
        raise ApiUnreachable("down")

    report = outbox.replay(deliver, now=NOW)
    assert (report.sent, report.left) == (0, 2)
    assert [e.attempts for e in outbox.entries()] == [1, 0]


def test_the_same_idempotency_key_is_one_entry(tmp_path):
    outbox = Outbox(tmp_path / "o.sqlite3")
    outbox.add("accrual", "k", {"first": True}, now=NOW)
    outbox.add("accrual", "k", {"first": False}, now=NOW)
    assert [e.body for e in outbox.entries()] == [{"first": True}]


def test_the_offline_counter_never_repeats_across_restarts(tmp_path):
    path = tmp_path / "o.sqlite3"
    first = Outbox(path)
    values = [first.next_counter(), first.next_counter()]
    first.close()
    values.append(Outbox(path).next_counter())
    assert values == [1, 2, 3]


def test_the_offline_counter_keeps_up_with_the_clock_so_a_till_installed_again_does_not_repeat_it(tmp_path):
    first = Outbox(tmp_path / "first.sqlite3")
    spent = [first.next_counter(at_least=1_700_000_000_000), first.next_counter(at_least=1_700_000_000_000)]
    assert spent == [1_700_000_000_000, 1_700_000_000_001]  # two sales in one millisecond still differ
    reinstalled = Outbox(tmp_path / "second.sqlite3")  # a new file, a minute later by the clock
    assert reinstalled.next_counter(at_least=1_700_000_060_000) == 1_700_000_060_000


def test_a_refused_sale_put_back_in_line_once_its_cause_is_put_right_earns_once(fake_server, till_config):
    agent = agent_for(till_config, fake_server)
    with pytest.raises(ApiError, match="not known"):
        sale(agent, "R-9")  # the UID card is not registered yet: set aside
    fake_server.add_member("M1", points=0)
    fake_server.add_uid("04AABBCCDD", "M1")  # registered after all
    (refused,) = agent.outbox.entries("rejected")
    again = agent.outbox.resend(refused.seq, "new-key")
    assert (again.seq, again.status, again.idempotency_key) == (refused.seq, "pending", "new-key")
    assert agent.flush_outbox().sent == 1 and fake_server.points_of("M1") == 5
    with pytest.raises(ValueError, match="not one the server refused"):
        agent.outbox.resend(refused.seq, "third-key")  # sent: nothing to put back


def test_a_refused_sale_that_was_called_off_is_not_put_back_in_line(tmp_path):
    outbox = Outbox(tmp_path / "o.sqlite3")
    outbox.add("accrual", "sale", {"receipt_number": "R-7", "paid_with_points_minor": 200}, now=NOW)
    outbox.mark_rejected("sale", "403 card_session_invalid: the card session has expired", now=NOW)
    outbox.add("payment_return", "return", {"hold_id": "H1", "receipt_number": "R-7"}, now=NOW)
    with pytest.raises(ValueError, match="was called off at the till"):
        outbox.resend(1, "again")
    assert outbox.get("sale").status == "rejected"
