"""A till whose clock runs fast: the server refuses its timestamps, the sale goes on offline
stamped with the server's time (measured from its answer), and earns once the clock is put
right; a sale already stamped ahead of the server waits in the outbox instead of being given
up. Real pcscd + virtual card, fake server."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from terminal.api_client import ApiClient, Credentials
from terminal.errors import ApiError, ApiUnreachable
from terminal.outbox import ACCRUAL, Outbox
from terminal.session import PosSession

LINES = [{"line_no": 1, "sku": "COFFEE", "quantity": "1", "amount_minor": 2000}]
SKEW = timedelta(minutes=20)


def test_a_refused_timestamp_tells_the_client_how_far_its_clock_is_off(fake_server):
    client = ApiClient(fake_server.url, Credentials(fake_server.key_id, fake_server.secret),
                       clock=lambda: time.time() + SKEW.total_seconds())
    with pytest.raises(ApiError) as refused:
        client.card_challenge("6280001234567890")
    assert refused.value.error == "stale_request"
    assert abs(client.clock_offset + SKEW.total_seconds()) < 5  # the server's Date is to the second
    client.clock = time.time  # NTP puts the clock right: the server takes it, and the offset goes
    fake_server.add_member("M1")
    fake_server.add_card("6280001234567890", "M1")
    client.card_challenge("6280001234567890")
    assert client.clock_offset == 0.0


def test_a_till_whose_clock_runs_fast_sells_offline_at_the_servers_time_and_the_sale_earns_once_the_clock_is_right(
        fake_server, make_card, make_agent, receipt):
    fake_server.add_member("M1", points=100)
    make_card(card_key=fake_server.add_card("6280001234567890", "M1")).tap()
    agent = make_agent()
    agent.api.clock = lambda: time.time() + SKEW.total_seconds()
    agent.clock = lambda: datetime.now(timezone.utc) + SKEW
    session = PosSession(receipt())
    assert agent.tap(session) is None and session.offline
    assert "20 min ahead of the server's" in session.offline_reason
    assert abs(datetime.fromisoformat(session.sold_at) - datetime.now(timezone.utc)) < timedelta(seconds=5)
    agent.give_basket(session, LINES)
    assert agent.accrue(session) is None and session.queued

    agent.api.clock, agent.clock = time.time, lambda: datetime.now(timezone.utc)  # NTP
    report = agent.flush_outbox()
    assert (report.sent, report.rejected, report.left) == (1, 0, 0)
    assert fake_server.points_of("M1") == 120


def test_a_sale_stamped_ahead_of_the_servers_clock_waits_in_the_outbox_instead_of_being_rejected(tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    ahead = outbox.add(ACCRUAL, "k-ahead", {"receipt_number": "R-1"}, now=now)
    behind = outbox.add(ACCRUAL, "k-behind", {"receipt_number": "R-2"}, now=now)
    sent = []

    def server_not_there_yet(entry):
        if entry.idempotency_key == "k-ahead":
            raise ApiError("the request is not valid; see errors for each field", status=422,
                           error="invalid_input", problems={"occurred_at": ["lies in the future"]})
        sent.append(entry.idempotency_key)
        return {"points": 1}

    with pytest.raises(ApiUnreachable, match="has not reached the sale's time"):
        outbox.send(ahead, server_not_there_yet, now=now)
    report = outbox.replay(server_not_there_yet, now=now)
    assert (report.sent, report.rejected, report.left) == (0, 0, 2)  # in order: nothing overtakes it
    assert [e.seq for e in outbox.pending()] == [ahead.seq, behind.seq] and sent == []
    report = outbox.replay(lambda entry: {"points": 1}, now=now + SKEW)  # the server's time has come
    assert (report.sent, report.rejected, report.left) == (2, 0, 0)
    outbox.close()
