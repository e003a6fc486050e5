"""Events are posted to a real receiver, signed; failures are tried again later and, after
the last attempt, kept as failed until staff send them again."""
import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import webhooks
from engine.errors import InvalidState, NotFound
from engine.webhooks import instant_text
from tests.support.assertions import refused_unchanged
from tests.support.webhook_receiver import LOCAL, WebhookReceiver


def test_an_earning_is_posted_signed_with_the_endpoints_secret(database, clock, receiver, subscribe, send_round,
                                                               make_member, earn):
    added = subscribe("points.earned")
    member = make_member()
    earned = earn(member, 1250, receipt="R-1")
    assert send_round() == webhooks.SendingRound(delivered=1, retrying=0, failed=0)
    [post] = receiver.received
    assert post.path == "/hooks/loyalty"
    assert post.headers["Content-Type"] == "application/json" and post.headers["Loyalty-Event"] == "points.earned"
    assert webhooks.signature_matches(added.secret, post.headers["Loyalty-Signature"], post.body, now=clock())
    event = json.loads(post.body)
    assert event["id"] == post.headers["Loyalty-Event-Id"] and event["kind"] == "points.earned"
    assert event["data"] == {
        "member_id": member.public_id, "store": "S1", "terminal": "S1-T1", "receipt": "R-1",
        "occurred_at": "2026-03-02T10:00:00Z", "currency": "EUR", "total_minor": 1250, "points": earned.points,
        "available_at": instant_text(earned.available_at), "expires_at": instant_text(earned.expires_at),
        "transaction_id": earned.transaction_id}
    assert send_round() == webhooks.SendingRound(0, 0, 0)  # delivered once


def test_the_signature_does_not_match_another_secret_another_body_or_an_old_post(clock, receiver):
    body = b'{"id":"evt_1"}'
    header = webhooks.signature("whsec_right", body, clock())
    assert webhooks.signature_matches("whsec_right", header, body, now=clock() + timedelta(minutes=4))
    assert not webhooks.signature_matches("whsec_wrong", header, body, now=clock())
    assert not webhooks.signature_matches("whsec_right", header, body + b" ", now=clock())
    assert not webhooks.signature_matches("whsec_right", header, body, now=clock() + timedelta(minutes=6))
    assert not webhooks.signature_matches("whsec_right", "v1=abc", body, now=clock())


def test_a_failed_attempt_is_tried_again_later_with_the_same_event(database, clock, receiver, subscribe, send_round,
                                                                   make_member):
    endpoint = subscribe("member.enrolled").endpoint
    receiver.answers = [500, 0]  # an error, then no answer at all
    make_member()
    assert send_round() == webhooks.SendingRound(0, 1, 0)
    clock.advance(seconds=59)
    assert send_round() == webhooks.SendingRound(0, 0, 0)  # not due yet
    clock.advance(seconds=1)
    assert send_round() == webhooks.SendingRound(0, 1, 0)
    clock.advance(minutes=5)
    assert send_round() == webhooks.SendingRound(1, 0, 0)
    first, second, third = receiver.received
    assert first.body == second.body == third.body
    [delivery] = webhooks.list_deliveries(database, endpoint.id)
    assert (delivery.status, delivery.attempts, delivery.last_status, delivery.last_error) == ("delivered", 3, 200, None)


def test_after_the_last_attempt_a_delivery_fails_and_staff_can_send_it_again(database, clock, receiver, subscribe,
                                                                             send_round, make_member):
    endpoint = subscribe("member.enrolled").endpoint
    receiver.answers = [503] * webhooks.MAX_ATTEMPTS
    make_member()
    for wait in (timedelta(0),) + webhooks.RETRY_AFTER:
        clock.advance(seconds=wait.total_seconds())
        send_round()
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS
    [failed] = webhooks.list_deliveries(database, endpoint.id, status="failed")
    assert (failed.attempts, failed.last_status, failed.last_error, failed.next_attempt_at) == (
        8, 503, "answered 503", None)
    clock.advance(days=3)
    assert send_round() == webhooks.SendingRound(0, 0, 0)
    again = webhooks.send_again(database, endpoint.id, failed.id, now=clock())
    assert (again.status, again.attempts) == ("pending", 0)
    assert send_round() == webhooks.SendingRound(1, 0, 0)
    assert receiver.received[-1].body == receiver.received[0].body
    with refused_unchanged(database, InvalidState, "delivery_not_failed"):
        webhooks.send_again(database, endpoint.id, failed.id, now=clock())
    with refused_unchanged(database, NotFound):
        webhooks.send_again(database, endpoint.id + 1, failed.id, now=clock())


def test_a_redirect_is_an_answer_not_followed(database, clock, receiver, subscribe, send_round, make_member):
    subscribe("member.enrolled")
    receiver.answers = [302]
    make_member()
    assert send_round() == webhooks.SendingRound(0, 1, 0)
    assert len(receiver.received) == 1


def test_a_host_that_now_resolves_to_a_private_address_is_not_contacted(database, clock, receiver, send_round,
                                                                        make_member):
    # checked when added (a public address) and again when sending: DNS changed in between
    endpoint = webhooks.add_endpoint(database, url="https://crm.example.com/hooks", kinds=["member.enrolled"],
                                     actor="admin", now=clock(), allowed_private=frozenset(),
                                     resolver=lambda host, port: ["93.184.216.34"]).endpoint
    make_member()
    sent = []
    result = webhooks.deliver_webhooks(database, now=clock(), allowed_private=frozenset(),
                                       resolver=lambda host, port: ["127.0.0.1"],
                                       send=lambda *request: sent.append(request) or 200)
    assert result == webhooks.SendingRound(0, 1, 0) and sent == []
    [delivery] = webhooks.list_deliveries(database, endpoint.id)
    assert "private or reserved address" in delivery.last_error


def test_the_post_goes_to_the_address_that_was_checked(database, clock, make_member):
    webhooks.add_endpoint(database, url="https://crm.example.com/hooks?source=loyalty", kinds=["member.enrolled"],
                          actor="admin", now=clock(), allowed_private=frozenset(),
                          resolver=lambda host, port: ["93.184.216.34"])
    make_member()
    sent = []
    webhooks.deliver_webhooks(database, now=clock(), allowed_private=frozenset(),
                              resolver=lambda host, port: ["93.184.216.34"],
                              send=lambda url, address, body, headers: sent.append((url, address)) or 204)
    assert sent == [("https://crm.example.com/hooks?source=loyalty", "93.184.216.34")]


def test_a_deactivated_endpoint_keeps_its_deliveries_until_it_is_active_again(database, clock, receiver, subscribe,
                                                                              send_round, make_member):
    endpoint = subscribe("member.enrolled").endpoint
    make_member()
    webhooks.change_endpoint(database, endpoint.id, allowed_private=LOCAL, active=False)
    make_member()  # not recorded: the endpoint takes nothing while inactive
    assert send_round() == webhooks.SendingRound(0, 0, 0)
    webhooks.change_endpoint(database, endpoint.id, allowed_private=LOCAL, active=True)
    assert send_round() == webhooks.SendingRound(1, 0, 0)


def test_a_test_event_goes_to_one_endpoint_only(database, clock, receiver, subscribe, send_round):
    endpoint = subscribe("member.enrolled").endpoint
    subscribe("member.enrolled", url=receiver.url + "/other")
    queued = webhooks.send_test_event(database, endpoint.id, now=clock())
    assert (queued.kind, queued.status) == ("webhook.test", "pending")
    assert send_round() == webhooks.SendingRound(1, 0, 0)
    [post] = receiver.received
    assert post.path == "/hooks/loyalty" and json.loads(post.body)["data"] == {"endpoint_id": endpoint.id}


def test_a_sending_round_takes_at_most_its_limit_oldest_first(database, clock, receiver, subscribe, send_round,
                                                              make_member):
    subscribe("member.enrolled")
    members = [make_member() for _ in range(3)]
    assert send_round(limit=2) == webhooks.SendingRound(2, 0, 0)
    assert send_round(limit=2) == webhooks.SendingRound(1, 0, 0)
    assert [json.loads(r.body)["data"]["member_id"] for r in receiver.received] == [m.public_id for m in members]


def test_deliveries_are_listed_newest_first_by_page_and_status(database, clock, receiver, subscribe, send_round,
                                                               make_member):
    endpoint = subscribe("member.enrolled").endpoint
    for _ in range(3):
        make_member()
    send_round(limit=1)
    every = webhooks.list_deliveries(database, endpoint.id)
    assert [d.status for d in every] == ["pending", "pending", "delivered"]
    assert webhooks.list_deliveries(database, endpoint.id, limit=2, before_id=every[0].id) == every[1:]
    assert webhooks.list_deliveries(database, endpoint.id, status="delivered") == every[2:]
    with pytest.raises(Exception, match="status"):
        webhooks.list_deliveries(database, endpoint.id, status="lost")


def test_old_sent_and_failed_deliveries_are_purged_and_pending_ones_kept(database, clock, receiver, subscribe,
                                                                         send_round, make_member):
    endpoint = subscribe("member.enrolled").endpoint
    make_member()
    send_round()
    receiver.answers = [500]
    make_member()
    send_round()
    assert webhooks.purge_deliveries(database, as_of=clock() + timedelta(days=webhooks.KEEP_DAYS)) == 0
    assert webhooks.purge_deliveries(database, as_of=clock() + timedelta(days=webhooks.KEEP_DAYS, seconds=1)) == 1
    assert [d.status for d in webhooks.list_deliveries(database, endpoint.id)] == ["pending"]


def test_removing_an_endpoint_removes_its_deliveries(database, clock, receiver, subscribe, send_round, make_member):
    endpoint = subscribe("member.enrolled").endpoint
    make_member()
    webhooks.remove_endpoint(database, endpoint.id)
    assert send_round() == webhooks.SendingRound(0, 0, 0) and receiver.received == []


def test_a_receiver_that_is_down_costs_a_round_one_attempt_and_holds_up_no_other(database, clock, receiver,
                                                                                  subscribe, send_round, make_member):
    down = subscribe("member.enrolled", url=receiver.url + "/down").endpoint
    up = subscribe("member.enrolled").endpoint
    for _ in range(3):
        make_member()
    tried = []

    def send(url, address, body, headers):
        tried.append(url)
        if url.endswith("/down"):
            raise TimeoutError("timed out")
        return 200

    assert send_round(send=send) == webhooks.SendingRound(delivered=3, retrying=1, failed=0, deferred=2)
    assert tried.count(receiver.url + "/down") == 1
    waiting = webhooks.list_deliveries(database, down.id)
    assert sorted(d.attempts for d in waiting) == [0, 0, 1]
    assert {d.next_attempt_at for d in waiting} == {clock() + webhooks.RETRY_AFTER[0]}
    assert "not tried" in waiting[0].last_error
    assert [d.status for d in webhooks.list_deliveries(database, up.id)] == ["delivered"] * 3


def test_a_round_takes_its_limit_from_each_endpoint_so_a_backlog_holds_up_no_other(database, clock, receiver,
                                                                                    subscribe, send_round, make_member):
    backlogged = subscribe("member.enrolled", url=receiver.url + "/crm").endpoint
    for _ in range(3):
        make_member()
    other = subscribe("member.enrolled").endpoint  # its one event is the newest of all
    make_member()
    assert send_round(limit=2) == webhooks.SendingRound(3, 0, 0)
    assert [d.status for d in webhooks.list_deliveries(database, other.id)] == ["delivered"]
    assert sorted(d.status for d in webhooks.list_deliveries(database, backlogged.id)) == [
        "delivered", "delivered", "pending", "pending"]


def test_a_slow_receiver_holds_up_no_other(database, clock, subscribe, send_round, make_member):
    with WebhookReceiver() as slow, WebhookReceiver() as fast:
        subscribe("member.enrolled", url=slow.url)
        subscribe("member.enrolled", url=fast.url)
        for _ in range(3):
            make_member()
        fast_done, waited = threading.Event(), []
        fast.before_answer = lambda: len(fast.received) == 3 and fast_done.set()
        # the slow receiver's first answer waits until the fast one has had all its posts
        slow.before_answer = lambda: waited or waited.append(fast_done.wait(timeout=3))
        assert send_round() == webhooks.SendingRound(6, 0, 0)
    assert waited == [True]
def test_sending_what_is_due_goes_on_round_after_round_until_it_is_all_sent(database, clock, receiver, subscribe,
                                                                            make_member):
    subscribe("member.enrolled")
    for _ in range(5):
        make_member()
    sent = webhooks.deliver_due(database, now=clock(), allowed_private=LOCAL, limit=2)
    assert sent == webhooks.SendingRound(delivered=5, retrying=0, failed=0)
    assert len(receiver.received) == 5


def test_instants_in_events_are_written_in_utc_whatever_zone_the_till_sent():
    assert instant_text(datetime(2026, 3, 2, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))) == "2026-03-02T10:00:00Z"
