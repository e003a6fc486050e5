"""Posts to one receiver share connections for a round (and over the rounds of one run of
the scheduler's sender), to the address checked for each post, several at once once the
round's first went through; a receiver that hangs up, or answers at length, costs a new
connection, never a post."""
import json
import threading

import pytest

from engine import webhooks
from tests.support.webhook_receiver import LOCAL


@pytest.fixture
def enrolled(subscribe, make_member):
    """``enrolled(n)``: n members enrolled, each an event waiting for the receiver."""
    subscribe("member.enrolled")
    return lambda count: [make_member() for _ in range(count)]


def posts(receiver) -> tuple[int, int]:
    """(events received, connections they came on); every event must have come once."""
    ids = [json.loads(post.body)["id"] for post in receiver.received]
    assert len(ids) == len(set(ids))
    return len(ids), len({post.connection for post in receiver.received})


def test_a_rounds_posts_to_one_receiver_share_its_connections(receiver, enrolled, send_round):
    enrolled(12)
    assert send_round() == webhooks.SendingRound(12, 0, 0)
    received, connections = posts(receiver)
    assert received == 12 and connections <= webhooks.POSTS_AT_ONCE


def test_the_schedulers_rounds_share_their_connections_too(database, clock, receiver, enrolled):
    enrolled(5)
    done = webhooks.deliver_due(database, now=clock(), allowed_private=LOCAL, limit=1)
    assert done == webhooks.SendingRound(5, 0, 0)
    assert posts(receiver) == (5, 1)


def test_once_the_first_post_went_through_several_go_at_once(receiver, enrolled, send_round):
    enrolled(1 + webhooks.POSTS_AT_ONCE)
    together, met = threading.Barrier(webhooks.POSTS_AT_ONCE, timeout=3), []

    def answer():  # the first post is answered at once; the others only once all are in
        if len(receiver.received) > 1:
            try:
                met.append(together.wait() >= 0)
            except threading.BrokenBarrierError:
                met.append(False)
    receiver.before_answer = answer
    assert send_round() == webhooks.SendingRound(1 + webhooks.POSTS_AT_ONCE, 0, 0)
    assert met == [True] * webhooks.POSTS_AT_ONCE


def test_a_receiver_that_hangs_up_after_each_answer_gets_every_post_once(receiver, enrolled, send_round):
    receiver.hang_up = True  # without saying so: the sender finds out at its next post
    enrolled(3)
    assert send_round() == webhooks.SendingRound(3, 0, 0)
    assert posts(receiver) == (3, 3)


def test_a_long_answer_is_not_read_and_its_connection_not_kept(receiver, enrolled, send_round):
    receiver.answer_body = b"x" * (webhooks.KEPT_ANSWER_BYTES + 1)
    enrolled(2)
    assert send_round() == webhooks.SendingRound(2, 0, 0)
    assert posts(receiver) == (2, 2)


def test_a_connection_is_used_again_only_for_the_address_checked(receiver):
    with webhooks.Connections() as connections:
        assert connections(receiver.url, "127.0.0.1", b"{}", {}) == 200
        assert connections(receiver.url, "127.0.0.1", b"{}", {}) == 200
        with pytest.raises(ConnectionRefusedError):  # the receiver listens on 127.0.0.1 alone
            connections(receiver.url, "127.0.0.2", b"{}", {})
    assert [post.connection for post in receiver.received][0] == receiver.received[1].connection


def test_a_failure_while_several_go_at_once_leaves_the_rest_for_the_next_round(database, receiver, enrolled,
                                                                                 send_round):
    enrolled(9)
    receiver.answers = [200] + [500] * 8
    done = send_round()
    assert done.delivered == 1 and done.retrying <= webhooks.POSTS_AT_ONCE
    assert done.retrying + done.deferred == 8 and done.failed == 0
    assert len(receiver.received) == 1 + done.retrying  # the deferred were not posted
